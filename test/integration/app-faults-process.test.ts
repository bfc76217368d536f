/**
 * The fault matrix (test/support/fault-matrix.ts) of `/deploy staging` against the App as
 * `npm start` runs it: the production request limiter — per-installation budgets, waiting out
 * rate limits, retrying reads and never a write — sits between the App and every fault of every
 * write (the in-process matrix of app-faults-deploy.test.ts covers the reads as well).
 */
import { describe } from '@jest/globals';
import { faultMatrix, deployScenario } from '../support/fault-matrix.ts';

describe('/deploy staging under faults of its writes, through the production request limiter', () => {
  faultMatrix(deployScenario, { process: true, writesOnly: true });
});
