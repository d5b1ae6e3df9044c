-- release: 1.0.0
-- phase: expand
CREATE TABLE "servers" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "os" TEXT NOT NULL,
    "ip_address" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "servers_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "servers_name_key" ON "servers"("name");

CREATE TABLE "components" (
    "id" TEXT NOT NULL,
    "server_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "encryption_token" TEXT,
    "machine_token" TEXT,
    "added_manually" BOOLEAN NOT NULL DEFAULT false,
    "registered_at_ms" BIGINT NOT NULL,
    "last_heartbeat_at_ms" BIGINT,
    CONSTRAINT "components_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "components_server_id_fkey" FOREIGN KEY ("server_id") REFERENCES "servers"("id") ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE UNIQUE INDEX "components_server_id_type_key" ON "components"("server_id", "type");

CREATE TABLE "cluster_settings" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "load_balancing" BOOLEAN NOT NULL DEFAULT false,
    "automatic_failover" BOOLEAN NOT NULL DEFAULT true,
    "heartbeat_frequency_seconds" INTEGER NOT NULL DEFAULT 30,
    "stale_timeout_seconds" INTEGER NOT NULL DEFAULT 300,
    "revision" INTEGER NOT NULL DEFAULT 1,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "cluster_settings_pkey" PRIMARY KEY ("id")
);
INSERT INTO "cluster_settings" ("id") VALUES (1);

CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
