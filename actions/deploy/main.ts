import { runAction } from '../runner-io.ts';
import { deployStep } from './deploy-step.ts';

void runAction(() => deployStep(false));
