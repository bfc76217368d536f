import { runAction } from '../runner-io.ts';
import { DEPLOY_FAILURE_OUTPUTS, deployStep } from './deploy-step.ts';

void runAction(() => deployStep(false), DEPLOY_FAILURE_OUTPUTS);
