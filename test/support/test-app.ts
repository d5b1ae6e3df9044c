import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { Clock } from '../../src/common/clock';
import { configureApp } from '../../src/app.setup';
import { AppConfig, loadAppConfig } from '../../src/modules/environment/app-config';
import { NodeKeys } from '../../src/modules/environment/node-keys';
import type { TestDatabase } from './test-database';

export const ADMIN_PASSWORD = 'e2e-admin-password';
export const API_KEY = 'e2e-api-key-0123456789';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  keys: NodeKeys;
  http: ReturnType<NestExpressApplication['getHttpServer']>;
  close(): Promise<void>;
}

export function randomKeys(): NodeKeys {
  return new NodeKeys(randomBytes(32), randomBytes(32));
}

/** The real application, built and configured exactly as main.ts does, on a test database. */
export async function startTestApp(
  database: TestDatabase,
  options: { env?: Record<string, string>; keys?: NodeKeys; clock?: Clock; version?: string } = {},
): Promise<TestApp> {
  const config = loadAppConfig(
    {
      DATABASE_URL: database.url,
      CLUSTER_SERVER_NAME: 'e2e-node',
      CLUSTER_ADVERTISED_ADDRESS: '10.1.0.1',
      ADMIN_PASSWORD,
      API_KEY,
      ...options.env,
    },
    {
      hostname: 'test-host',
      firstExternalIpv4: undefined,
      version: options.version ?? '1.0.0',
      cwd: process.cwd(),
    },
  );
  const keys = options.keys ?? randomKeys();
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, keys, options.clock),
    {
      bodyParser: false,
      logger: ['error'],
    },
  );
  configureApp(app);
  await app.init();
  return { app, config, keys, http: app.getHttpServer(), close: () => app.close() };
}

export function csrfTokenIn(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1];
}

/** This tree's release (package.json), for tests of what older releases may not do (users and roles). */
export const THIS_RELEASE = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * A supertest agent (it keeps cookies) signed in, in process or at a URL: as the first administrator, or as
 * the user named.
 */
export async function signedInAgent(target: TestApp | string, password = ADMIN_PASSWORD, username = 'Admin') {
  const agent = request.agent(typeof target === 'string' ? target : target.http);
  const page = await agent.get('/login').expect(200);
  await agent
    .post('/login')
    .type('form')
    .send({ _csrf: csrfTokenIn(page.text), username, password })
    .expect(303);
  return agent;
}

/** The real clock, with a monotonic offset a test can move forward (wall time and the database are untouched). */
export class AdvancingClock extends Clock {
  offsetMs = 0;

  override monotonicMs(): number {
    return super.monotonicMs() + this.offsetMs;
  }
}
