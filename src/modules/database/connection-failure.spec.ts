import { describeConnectionFailure } from './connection-failure';

const URL_WITH_PASSWORD = 'postgresql://app:s3cret-pass@db.internal:6432/app';

describe('describeConnectionFailure', () => {
  it("names a pooler's refusal in one line, with its SQLSTATE and where to look, never the password", () => {
    const refusal = Object.assign(new Error('unsupported startup parameter: lock_timeout'), {
      code: '08P01',
      severity: 'FATAL',
    });
    const line = describeConnectionFailure(refusal, URL_WITH_PASSWORD)!;
    expect(line).toBe(
      'Database connection failed: the database at db.internal:6432/app answered: unsupported startup ' +
        'parameter: lock_timeout (08P01). A pooler refused what the connection asked for: see ' +
        'docs/deploy.md for a pgbouncer.ini that works.',
    );
    expect(line).not.toContain('s3cret-pass');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('finds the cause inside Prisma errors and AggregateErrors', () => {
    const prisma = Object.assign(new Error('Invalid invocation'), {
      code: 'P2010',
      meta: {
        driverAdapterError: {
          cause: {
            kind: 'postgres',
            originalCode: '55000',
            originalMessage: 'database "app" is not currently accepting connections',
          },
        },
      },
    });
    expect(describeConnectionFailure(prisma, URL_WITH_PASSWORD)).toContain(
      'database "app" is not currently accepting connections (55000). The database does not accept connections now',
    );
    const refused = new AggregateError(
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6432'), { code: 'ECONNREFUSED' })],
      '',
    );
    expect(describeConnectionFailure(refused, URL_WITH_PASSWORD)).toContain(
      'answered: connect ECONNREFUSED 127.0.0.1:6432 (ECONNREFUSED). Nothing accepts connections',
    );
    expect(
      describeConnectionFailure(
        Object.assign(new Error('password authentication failed for user "app"'), {
          code: '28P01',
          severity: 'FATAL',
        }),
        URL_WITH_PASSWORD,
      ),
    ).toContain('The server refused the login');
  });

  it('leaves other errors alone', () => {
    expect(describeConnectionFailure(new TypeError('x is undefined'), URL_WITH_PASSWORD)).toBeNull();
    expect(
      describeConnectionFailure(
        Object.assign(new Error('syntax error'), { code: '42601', severity: 'ERROR' }),
        URL_WITH_PASSWORD,
      ),
    ).toBeNull();
  });
});
