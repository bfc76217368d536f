/** The fault matrix (test/support/fault-matrix.ts) of `/rollback production`: every GitHub call × every fault. */
import { describe } from '@jest/globals';
import { faultMatrix, rollbackScenario } from '../support/fault-matrix.ts';

describe('/rollback production under faults', () => {
  faultMatrix(rollbackScenario);
});
