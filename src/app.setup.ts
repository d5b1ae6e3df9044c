import type { NestExpressApplication } from '@nestjs/platform-express';
import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import compression from 'compression';
import cookieParser from 'cookie-parser';
import cookieSession from 'cookie-session';
import express from 'express';
import hbs from 'hbs';
import helmet from 'helmet';
import Keygrip from 'keygrip';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkBodyShape } from './common/body-shape.middleware';
import { requireContentType } from './common/content-type.middleware';
import { mostBasicMessage } from './common/form-validation';
import { requestIds } from './common/request-id.middleware';
import { buildApiDocument } from './common/openapi';
import { ApiDocument } from './modules/ops/api-docs.controller';
import { SESSION_COOKIE, SESSION_LIFETIME_MS } from './modules/auth/session';
import { KeyCrypto } from './modules/verification/key-crypto';
import { withoutTrailingSpaces } from './common/trailing-spaces';
import type { AppConfig } from './modules/environment/app-config';
import { APP_CONFIG } from './modules/environment/environment.tokens';

const ROOT = join(__dirname, '..');
const VIEWS = join(ROOT, 'views');

/**
 * Everything the HTTP app needs besides its modules, shared by main.ts and every end-to-end test so that
 * tests run the real app. The app must be created with { bodyParser: false }: the parsers are added here,
 * with limits, before the session and CSRF machinery that read the body.
 */
export function configureApp(app: NestExpressApplication): void {
  const crypto = app.get(KeyCrypto);
  const config = app.get<AppConfig>(APP_CONFIG);
  app.disable('x-powered-by');
  app.use(requestIds(config.logFormat === 'json'));
  // Whose X-Forwarded-For to believe: nobody's unless TRUST_PROXY names the proxies (else any client could
  // claim a new address with every request and never meet the login rate limit).
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null } },
      strictTransportSecurity: false,
    }),
  );
  // Pages and JSON shrink several times over; bodies under 1 KB (health checks) are left as they are.
  app.use(compression());
  app.useStaticAssets(join(ROOT, 'public'), { prefix: '/static/', maxAge: '1h' });
  app.use(requireContentType);
  app.use(express.json({ limit: '64kb' }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use(checkBodyShape);
  app.use(cookieParser());
  app.use(
    cookieSession({
      name: SESSION_COOKIE,
      // The machine key signs the session: nodes with different machine keys do not accept each other's sessions.
      keys: new Keygrip([crypto.sessionSigningSecret], 'sha256'),
      httpOnly: true,
      sameSite: 'lax',
      maxAge: SESSION_LIFETIME_MS,
    }),
  );
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One message per field, the most basic first ("must not be empty" before "at most 100 characters").
      exceptionFactory: (errors: ValidationError[]) =>
        new BadRequestException(
          errors
            .map((error) => mostBasicMessage(error.constraints ?? {}) ?? `${error.property} is not valid`)
            .join('; '),
        ),
    }),
  );
  configureViews(app, config);
  app.get(ApiDocument).build = () => buildApiDocument(app, config.version);
}

function configureViews(app: NestExpressApplication, config: AppConfig): void {
  app.setBaseViewsDir(VIEWS);
  // hbs, with the spaces that template indentation leaves at the ends of lines removed from what is sent.
  app.engine('hbs', (file: string, options: object, done: (error: unknown, html?: string) => void) =>
    hbs.__express(file, options, (error: unknown, html?: string) =>
      done(error, html === undefined ? html : withoutTrailingSpaces(html)),
    ),
  );
  app.setViewEngine('hbs');
  // Without it, Express reads and compiles every template on every request unless NODE_ENV=production.
  app.set('view cache', config.viewCache);
  app.set('view options', { layout: 'layouts/main' });
  // Registered synchronously (hbs.registerPartials reads the folder asynchronously).
  const partials = join(VIEWS, 'partials');
  for (const file of readdirSync(partials).filter((name) => name.endsWith('.hbs'))) {
    hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(partials, file), 'utf8'));
  }
}
