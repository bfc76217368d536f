/** The fault matrix (test/support/fault-matrix.ts) of `/lock staging`: every GitHub call × every fault. */
import { describe } from '@jest/globals';
import { faultMatrix, lockScenario } from '../support/fault-matrix.ts';

describe('/lock staging under faults', () => {
  faultMatrix(lockScenario);
});
