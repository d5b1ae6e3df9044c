import { databaseKinds } from '../support/test-database';
import { describeFailover } from './failover-scenarios';

// Without TEST_DATABASE_URL there is no PostgreSQL: databaseKinds() says so, and Jest reports these tests as
// skipped (CI always sets it), as the other PostgreSQL-only files do.
if (databaseKinds().includes('postgresql')) describeFailover('postgresql');
else describe.skip('without TEST_DATABASE_URL', () => describeFailover('postgresql'));
