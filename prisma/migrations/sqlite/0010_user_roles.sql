-- release: 1.6.0
-- phase: expand
-- A team (docs/users.md): every user has a role (viewer, operator or administrator; the users made before
-- this release were all administrators, and stay so), the time of their last sign-in (database clock) and
-- how they sign in (password; single sign-on later). Only additions: releases before 1.6.0 read and write
-- users as before, which is why users are changed only while no node of such a release is live.
ALTER TABLE "users" ADD COLUMN "role" TEXT NOT NULL DEFAULT 'administrator';
ALTER TABLE "users" ADD COLUMN "last_sign_in_at_ms" BIGINT;
ALTER TABLE "users" ADD COLUMN "sign_in" TEXT NOT NULL DEFAULT 'password';
