-- release: 1.4.0
-- phase: expand
-- Sign-in sessions live in the shared database, so that signing out (or a password change) ends a session on
-- every node at once. The cookie carries a random token; only its SHA-256 is stored here, never the token.
CREATE TABLE "sessions" (
    "token_hash" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "created_at_ms" BIGINT NOT NULL,
    "last_seen_at_ms" BIGINT NOT NULL,
    "expires_at_ms" BIGINT NOT NULL
);
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");
CREATE INDEX "sessions_expires_at_ms_idx" ON "sessions"("expires_at_ms");

-- Failed sign-ins, counted per user name and per client address in one window each, shared by every node.
CREATE TABLE "login_failures" (
    "subject" TEXT NOT NULL PRIMARY KEY,
    "failures" INTEGER NOT NULL,
    "window_started_at_ms" BIGINT NOT NULL
);
