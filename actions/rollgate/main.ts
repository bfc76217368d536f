// Entry of the root action (action.yml at the repository root): deploy, verify with the
// health-check inputs, and roll back automatically — the common case in one step.
import { DEPLOY_FAILURE_OUTPUTS, deployStep } from '../deploy/deploy-step.ts';
import { runAction } from '../runner-io.ts';

void runAction(() => deployStep(true), DEPLOY_FAILURE_OUTPUTS);
