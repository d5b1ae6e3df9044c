import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { AuthService } from './modules/auth/auth.service';
import { PasswordHasher } from './modules/auth/password-hasher';
import { UsersRepository } from './modules/auth/users.repository';
import { PrismaService } from './modules/database/prisma.service';
import { loadAppConfig } from './modules/environment/app-config';
import { ConfigError } from './modules/environment/config-error';
import { readHostFacts } from './modules/environment/host-facts';

const USAGE = 'usage: npm run admin -- reset-password <user name>';

/**
 * Administration from the console, for what cannot be done from the pages: a locked-out administrator gets
 * a new random password, printed once. It uses the same database settings as the node (DATABASE_URL) and
 * starts no node: no heartbeat, no lease.
 */
async function main(args: string[]): Promise<number> {
  const [command, username, ...rest] = args;
  if (command !== 'reset-password' || !username || rest.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadAppConfig(process.env, readHostFacts());
  Logger.overrideLogger(['error']);
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  try {
    const password = await new AuthService(
      config,
      new UsersRepository(prisma),
      new PasswordHasher(),
    ).resetPassword(username);
    if (password === null) {
      process.stderr.write(`There is no user "${username}".\n`);
      return 1;
    }
    process.stdout.write(
      `New password for "${username}": ${password}\nIt is shown only this once and is not kept anywhere in clear.\n`,
    );
    return 0;
  } finally {
    await prisma.onApplicationShutdown();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      error instanceof ConfigError
        ? `Configuration error: ${error.message}\n`
        : `The command failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(error instanceof ConfigError ? 78 : 1);
  },
);
