/** The fault matrix (test/support/fault-matrix.ts) of `deployment_status success`: every GitHub call × every fault. */
import { describe } from '@jest/globals';
import { faultMatrix, deploymentStatusScenario } from '../support/fault-matrix.ts';

describe('deployment_status success under faults', () => {
  faultMatrix(deploymentStatusScenario);
});
