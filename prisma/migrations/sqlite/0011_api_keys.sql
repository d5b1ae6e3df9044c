-- release: 1.6.0
-- phase: expand
-- API keys per person (README, "Users and roles"): a named key of a user, stored only as the SHA-256 of the
-- key, with the role it carries (at most its owner's, judged again at every request) and its last use
-- (database clock, written at most once a minute). Removing the user removes their keys. Only additions:
-- releases before 1.6.0 know only the API_KEY of the environment and refuse these keys.
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "created_at_ms" BIGINT NOT NULL,
    "last_used_at_ms" BIGINT
);
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");
CREATE UNIQUE INDEX "api_keys_user_id_name_key" ON "api_keys"("user_id", "name");
