#!/usr/bin/env node
// The memory and start-up floor for `npm run bench`: a bare NestJS app on Express with one route and a
// Prisma client (the node's own generated client, with its driver adapter) that has run one query. What a
// node adds on top of this is its own code, views and state.
'use strict';
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

async function main() {
  const url = process.env.DATABASE_URL;
  let client;
  if (url.startsWith('file:')) {
    const { PrismaClient } = require(path.join(ROOT, 'dist/generated/sqlite/client'));
    const { PrismaBetterSqlite3 } = require('@prisma/adapter-better-sqlite3');
    client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: url.slice(5) }) });
  } else {
    const { PrismaClient } = require(path.join(ROOT, 'dist/generated/postgresql/client'));
    const { PrismaPg } = require('@prisma/adapter-pg');
    client = new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) });
  }
  await client.$queryRawUnsafe('SELECT 1');

  // Decorators applied as functions: this file runs as plain JavaScript.
  class HelloController {
    hello() {
      return 'ok';
    }
  }
  Controller()(HelloController);
  Get()(
    HelloController.prototype,
    'hello',
    Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'),
  );
  class FloorModule {}
  Module({ controllers: [HelloController] })(FloorModule);

  const app = await NestFactory.create(FloorModule, { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  const stop = async () => {
    await app.close();
    await client.$disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
