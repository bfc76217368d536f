/** The fault matrix (test/support/fault-matrix.ts) of `/deploy staging`: every GitHub call × every fault. */
import { describe } from '@jest/globals';
import { faultMatrix, deployScenario } from '../support/fault-matrix.ts';

describe('/deploy staging under faults', () => {
  faultMatrix(deployScenario);
});
