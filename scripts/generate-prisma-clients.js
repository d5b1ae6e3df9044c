#!/usr/bin/env node
// Generates one Prisma client per database kind from the single schema (prisma/schema.prisma).
// A Prisma client is specific to one provider, and the schema names one, so for PostgreSQL this writes
// a copy with the provider and output swapped and generates from it.
//
// PRISMA_SCHEMA_ENGINE_BINARY points at a stub file: `prisma generate` does not use the schema engine,
// but the CLI tries to download it unless that variable names an existing file, and downloads fail on
// machines without internet access.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const schemaPath = path.join(root, 'prisma', 'schema.prisma');
const postgresSchemaPath = path.join(root, 'prisma', '.schema.postgresql.prisma');
const prismaCli = path.join(root, 'node_modules', 'prisma', 'build', 'index.js');

const schema = fs.readFileSync(schemaPath, 'utf8');
const postgresSchema = schema
  .replace('provider = "sqlite"', 'provider = "postgresql"')
  .replace('output       = "../src/generated/sqlite"', 'output       = "../src/generated/postgresql"');
if (postgresSchema === schema || !postgresSchema.includes('src/generated/postgresql')) {
  throw new Error(
    'scripts/generate-prisma-clients.js: could not swap the provider or output line in prisma/schema.prisma',
  );
}
fs.writeFileSync(
  postgresSchemaPath,
  `// Generated from schema.prisma by scripts/generate-prisma-clients.js; do not edit.\n${postgresSchema}`,
);

const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: path.join(root, 'prisma', 'schema-engine-stub'),
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};
for (const schemaFile of [schemaPath, postgresSchemaPath]) {
  execFileSync(process.execPath, [prismaCli, 'generate', '--schema', schemaFile], {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
