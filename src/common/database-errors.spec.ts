import { databaseTrouble, DatabaseUnavailableError } from './database-errors';
import { errorSummary } from './error-summary';

/** Shaped as Prisma 7 throws them through its driver adapters (seen with better-sqlite3 and pg). */
function prismaError(message: string, cause: object): Error {
  return Object.assign(new Error(message), {
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });
}

const PRISMA_MESSAGE = (said: string) => `\nInvalid \`prisma.$queryRaw()\` invocation:\n\n\n${said}`;

describe('databaseTrouble', () => {
  it("calls SQLite's busy lock 'locked'", () => {
    const error = prismaError(
      PRISMA_MESSAGE('Raw query failed. Code: `SQLITE_BUSY`. Message: `database is locked`'),
      {
        originalCode: 'SQLITE_BUSY',
        originalMessage: 'database is locked',
        kind: 'SocketTimeout',
      },
    );
    expect(databaseTrouble(error)).toBe('locked');
  });

  it("calls a refused or lost connection 'unreachable'", () => {
    expect(
      databaseTrouble(prismaError('x', { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 5432 })),
    ).toBe('unreachable');
    const refused = new AggregateError(
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
      '',
    );
    expect(databaseTrouble(refused)).toBe('unreachable');
    expect(databaseTrouble(new Error('Connection terminated unexpectedly'))).toBe('unreachable');
    expect(databaseTrouble(new DatabaseUnavailableError('locked'))).toBe('locked');
  });

  it("calls PostgreSQL's lock timeout and write conflicts 'locked', and a transaction that could not start 'unreachable'", () => {
    expect(databaseTrouble(prismaError('x', { kind: 'postgres', originalCode: '55P03' }))).toBe('locked');
    expect(databaseTrouble(prismaError('x', { kind: 'TransactionWriteConflict' }))).toBe('locked');
    expect(
      databaseTrouble(
        Object.assign(new Error('Unable to start a transaction in the given time.'), { code: 'P2028' }),
      ),
    ).toBe('unreachable');
  });

  it.each([
    ['55000', 'database "app" is not currently accepting connections'],
    ['53300', 'sorry, too many clients already'],
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
    ['25006', 'cannot execute UPDATE in a read-only transaction'],
    ['08P01', 'unsupported startup parameter: lock_timeout'],
    ['28P01', 'password authentication failed for user "app"'],
    ['3D000', 'database "app" does not exist'],
    ['53100', 'could not extend file: No space left on device'],
  ])(
    "calls SQLSTATE %s (%s) 'unreachable': the database cannot serve, whatever the request",
    (code, said) => {
      expect(
        databaseTrouble(prismaError('x', { kind: 'postgres', originalCode: code, originalMessage: said })),
      ).toBe('unreachable');
      // node-postgres's own error, as the migrator and the health probe see it.
      expect(databaseTrouble(Object.assign(new Error(said), { code, severity: 'FATAL' }))).toBe(
        'unreachable',
      );
    },
  );

  it('leaves real bugs alone, so that they stay a 500', () => {
    expect(databaseTrouble(prismaError('syntax', { kind: 'postgres', originalCode: '42601' }))).toBeNull();
    expect(databaseTrouble(prismaError('check', { kind: 'postgres', originalCode: '23514' }))).toBeNull();
    expect(databaseTrouble(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeNull();
    expect(
      databaseTrouble(prismaError('unique constraint', { kind: 'UniqueConstraintViolation' })),
    ).toBeNull();
    expect(databaseTrouble('a string')).toBeNull();
  });
});

describe('errorSummary', () => {
  it("keeps Prisma's words and drops its empty first line", () => {
    expect(
      errorSummary(
        new Error(PRISMA_MESSAGE("Raw query failed. Code: `N/A`. Message: `Can't reach database server`")),
      ),
    ).toBe("Raw query failed. Code: `N/A`. Message: `Can't reach database server`");
  });

  it('names the cause of an error without a message of its own', () => {
    const refused = new AggregateError(
      [
        Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' }),
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      ],
      '',
    );
    expect(errorSummary(refused)).toBe('connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432');
    expect(errorSummary(Object.assign(new Error(''), { code: 'ETIMEDOUT' }))).toBe('Error ETIMEDOUT');
    expect(errorSummary(new Error('', { cause: new Error('socket hang up') }))).toBe('socket hang up');
  });
});
