import 'reflect-metadata';
import { LogLevel as NestLogLevel, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { JsonLogger } from './common/json-logger';
import { framed, NodeLogger } from './common/node-logger';
import { AuthService } from './modules/auth/auth.service';
import { NodeLifecycle } from './modules/environment/node-lifecycle';
import { AppConfig, loadAppConfig, LogLevel } from './modules/environment/app-config';
import { ConfigError } from './modules/environment/config-error';
import { readHostFacts } from './modules/environment/host-facts';
import { resolveNodeKeys, ResolvedKeys } from './modules/environment/node-keys';
import { describeConnectionFailure } from './modules/database/connection-failure';
import { SchemaTooNewError } from './modules/database/schema-too-new.error';

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

function readConfiguration(): { config: AppConfig; resolved: ResolvedKeys } {
  try {
    const config = loadAppConfig(process.env, readHostFacts());
    return { config, resolved: resolveNodeKeys(config) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
}

async function bootstrap({ config, resolved }: { config: AppConfig; resolved: ResolvedKeys }): Promise<void> {
  const nodeLogger =
    config.logFormat === 'json'
      ? new JsonLogger(config.serverName, NEST_LEVELS[config.logLevel])
      : new NodeLogger({ logLevels: NEST_LEVELS[config.logLevel] });
  // From the first line on, in the chosen format (the key warning below comes before Nest starts).
  Logger.overrideLogger(nodeLogger);
  const logger = new Logger('Node');
  if (resolved.generated.length > 0) {
    logger.warn(
      `${resolved.generated.join(' and ')} not set: using the key(s) generated in ${resolved.file}. ` +
        'Every node of a cluster must be given the same keys.',
    );
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, resolved.keys), {
    bodyParser: false,
    logger: nodeLogger,
  });
  configureApp(app);
  stopOnSignals(app, config.shutdownGraceMs, logger);
  await app.listen(config.port, config.host);

  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const lines = [
    `Node "${config.serverName}" (${config.components.join(' + ')}, version ${config.version}) on ${config.database.kind}.`,
    `Cluster Overview: http://${shownHost}:${config.port}/administration/cluster`,
  ];
  const first = app.get(AuthService).firstAdministrator;
  if (config.logFormat === 'json') {
    // Machine-collected logs never carry a password: a generated one is not shown, and can be replaced.
    logger.log({ msg: lines.join(' '), address: `http://${shownHost}:${config.port}` });
    if (first?.generatedPassword) {
      logger.warn(
        `created the first administrator "${first.username}" with a generated password, not shown in JSON logs: ` +
          `set one with npm run admin -- reset-password ${first.username}`,
      );
    }
    return;
  }
  if (first?.generatedPassword) {
    // Shown once, at the first start, on the console only: it is not kept anywhere in clear.
    lines.push(`Sign in as "${first.username}" with the generated password: ${first.generatedPassword}`);
    lines.push('Write it down now; it will not be shown again.');
  } else if (first) {
    lines.push(`Sign in as "${first.username}" with the password from ADMIN_PASSWORD.`);
  }
  process.stdout.write(`${framed(lines)}\n`);
}

/**
 * SIGTERM (a supervisor, a rolling restart): /health answers 503 "stopping" at once while the node goes on
 * serving for the grace period, so that load balancers take it out of rotation before it stops accepting;
 * its service component hands the primary role to a backup at once. Then it stops accepting, finishes the
 * requests in flight and exits.
 * SIGINT (Ctrl-C at a terminal) skips the grace period; a second signal cuts the grace period short.
 */
function stopOnSignals(app: NestExpressApplication, graceMs: number, logger: Logger): void {
  let stopping = false;
  let endGrace: (() => void) | null = null;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return endGrace?.();
    stopping = true;
    app.get(NodeLifecycle).beginStopping();
    const wait = signal === 'SIGTERM' ? graceMs : 0;
    if (wait > 0) {
      logger.log(
        `${signal}: /health answers 503 for ${wait / 1000} s while this node still serves, then it stops`,
      );
      await new Promise<void>((resolve) => {
        endGrace = resolve;
        setTimeout(resolve, wait).unref();
      });
    }
    try {
      await app.close();
    } catch (error) {
      logger.error(`stopping failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (received) => void stop(received));
}

const configuration = readConfiguration();
bootstrap(configuration).catch((error: unknown) => {
  const refused = describeConnectionFailure(error, configuration.config.database.url);
  if (refused) {
    // The database or its pooler refused this node (or is not there): one line naming the cause, and the
    // configuration-error status, so that a supervisor's restart policy can tell it from a crash.
    process.stderr.write(`${refused}\n`);
    process.exit(78);
  }
  if (error instanceof SchemaTooNewError) {
    // A newer release has contracted the schema: this node's code must not serve on it.
    process.stderr.write(`Schema error: ${error.message}\n`);
    process.exit(78);
  }
  if (error instanceof ConfigError) {
    // Found only once the database could be asked (a server name another live process uses).
    process.stderr.write(`Configuration error: ${error.message}\n`);
    process.exit(78);
  }
  process.stderr.write(
    `The node could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
