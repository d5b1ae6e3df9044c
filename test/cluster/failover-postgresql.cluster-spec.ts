import { databaseKinds } from '../support/test-database';
import { describeFailover } from './failover-scenarios';

// Without TEST_DATABASE_URL there is no PostgreSQL: databaseKinds() says so, and the file reports skipped.
if (databaseKinds().includes('postgresql')) describeFailover('postgresql');
else
  describe.skip('failover between real nodes on postgresql', () =>
    it('needs TEST_DATABASE_URL', () => undefined));
