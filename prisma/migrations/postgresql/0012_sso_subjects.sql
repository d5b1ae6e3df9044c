-- release: 1.6.0
-- phase: expand
-- Single sign-on (README, "Single sign-on"): a user who signs in through the OpenID Connect provider is
-- known by the provider's issuer and subject ("issuer sub"), which never change, not by a name that the
-- directory may give to somebody else later. Null for users with a password. Only an addition: releases
-- before 1.6.0 never read it (and cannot sign such a user in: their password is no password).
ALTER TABLE "users" ADD COLUMN "sso_subject" TEXT;
CREATE UNIQUE INDEX "users_sso_subject_key" ON "users"("sso_subject");
