import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { validateForm } from './common/form-validation';
import { AuthService } from './modules/auth/auth.service';
import { AddUserDto } from './modules/auth/dto/user.dto';
import { PasswordHasher } from './modules/auth/password-hasher';
import { isRole, ROLES } from './modules/auth/roles';
import { UsersRepository } from './modules/auth/users.repository';
import { UserChangeRefused, UsersService } from './modules/auth/users.service';
import { PrismaService } from './modules/database/prisma.service';
import { loadAppConfig } from './modules/environment/app-config';
import { ConfigError } from './modules/environment/config-error';
import { readHostFacts } from './modules/environment/host-facts';

const USAGE = `usage: npm run admin -- <command>
  reset-password <user>             a new random password, printed once; the user's sessions end
  add-user <user> --role <role>     a new user with a generated password, printed alone on the last line
  set-role <user> <role>            another role, from the user's next request on
  remove-user <user>                removes the user and ends their sessions
roles: ${ROLES.join(', ')}`;

/** Who the events of these commands name: a person at the console of a node. */
const CONSOLE_ACTOR = 'npm run admin';

type Command = (users: UsersService, auth: AuthService) => Promise<number>;

/**
 * Administration from the console, for scripts and for what cannot be done from the pages (a locked-out
 * team): passwords and users. It uses the same database settings as the node (DATABASE_URL) and starts no
 * node: no heartbeat, no lease. Exit status 0 done, 1 refused (the message says why), 2 usage, 78 config.
 */
async function main(args: string[]): Promise<number> {
  const command = parse(args);
  if (typeof command === 'string') {
    process.stderr.write(`${command}\n${USAGE}\n`);
    return 2;
  }
  const config = loadAppConfig(process.env, readHostFacts());
  Logger.overrideLogger(['error']);
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  try {
    const repository = new UsersRepository(prisma);
    const hasher = new PasswordHasher();
    return await command(new UsersService(repository, hasher), new AuthService(config, repository, hasher));
  } catch (error) {
    if (!(error instanceof UserChangeRefused)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  } finally {
    await prisma.onApplicationShutdown();
  }
}

/** The command to run, or what is wrong with the arguments. */
function parse(args: string[]): Command | string {
  const [name, ...rest] = args;
  switch (name) {
    case 'reset-password': {
      const [username, ...extra] = rest;
      if (!username || extra.length > 0) return 'reset-password takes one user name.';
      return async (_users, auth) => {
        const password = await auth.resetPassword(username);
        if (password === null) {
          process.stderr.write(
            `There is no user "${username}" who signs in with a password (a single sign-on user has none here).\n`,
          );
          return 1;
        }
        process.stdout.write(
          `New password for "${username}": ${password}\nIt is shown only this once and is not kept anywhere in clear.\n`,
        );
        return 0;
      };
    }
    case 'add-user': {
      const roleAt = rest.indexOf('--role');
      const role = roleAt === -1 ? undefined : rest[roleAt + 1];
      const others = rest.filter((_, index) => roleAt === -1 || (index !== roleAt && index !== roleAt + 1));
      if (others.length !== 1) return 'add-user takes one user name and --role <role>.';
      if (role === undefined) return `add-user needs --role: one of ${ROLES.join(', ')}.`;
      const form = validateForm(AddUserDto, { username: others[0], role });
      if (!form.valid) return `Nothing was added: ${Object.values(form.errors).join('; ')}.`;
      const { username } = form.value;
      return async (users) => {
        const password = await users.add(username, form.value.role, CONSOLE_ACTOR);
        process.stdout.write(
          `Added "${username}" as ${form.value.role}. Their password, shown only this once, is on the next line:\n${password}\n`,
        );
        return 0;
      };
    }
    case 'set-role': {
      const [username, role, ...extra] = rest;
      if (!username || !role || extra.length > 0) return 'set-role takes a user name and a role.';
      if (!isRole(role)) return `"${role}" is not a role: one of ${ROLES.join(', ')}.`;
      return async (users) => {
        const { previous } = await users.setRole({ username }, role, CONSOLE_ACTOR);
        process.stdout.write(
          previous === role
            ? `"${username}" is ${role} already.\n`
            : `"${username}" is now ${role} (was ${previous}), from their next request on.\n`,
        );
        return 0;
      };
    }
    case 'remove-user': {
      const [username, ...extra] = rest;
      if (!username || extra.length > 0) return 'remove-user takes one user name.';
      return async (users) => {
        await users.remove({ username }, CONSOLE_ACTOR);
        process.stdout.write(`Removed "${username}"; their sessions ended on every node.\n`);
        return 0;
      };
    }
    default:
      return name === undefined ? 'No command given.' : `There is no command "${name}".`;
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
