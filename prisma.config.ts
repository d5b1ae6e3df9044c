import { defineConfig } from 'prisma/config';

// Only `prisma generate` runs here; it needs no database connection. Migrations are applied by the
// application at start (src/modules/database/migrator.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
