import { describeFailover } from './failover-scenarios';

describeFailover('sqlite');
