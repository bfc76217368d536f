import { InputError } from '../errors.ts';
import type { WorkloadKind } from './rollout-status.ts';

/** A workload named as kubectl names one: `api`, `deployment/api`, `statefulset/db`, `ds/agent`. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly name: string;
}

/** kubectl's resource names and short names for the kinds with a rollout history. */
const KINDS: Readonly<Record<string, WorkloadKind>> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  'deployment.apps': 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  'statefulset.apps': 'StatefulSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  'daemonset.apps': 'DaemonSet',
};

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/**
 * Parses `NAME` (a Deployment, as before) or `KIND/NAME` the way `kubectl rollout undo` takes
 * its argument, for the rollback action's `deployment` input.
 */
export function parseWorkloadRef(input: string, text: string): WorkloadRef {
  const slash = text.indexOf('/');
  const kindText = slash < 0 ? 'deployment' : text.slice(0, slash).toLowerCase();
  const name = slash < 0 ? text : text.slice(slash + 1);
  const kind = KINDS[kindText];
  const forms = `Write NAME (a Deployment), or deployment/NAME, statefulset/NAME or daemonset/NAME`;
  if (kind === undefined)
    throw new InputError(
      input,
      `'${text}' names '${kindText}', which has no rollout history to go back to`,
      `${forms}: those are the kinds kubectl rollout undo supports.`,
    );
  if (!NAME.test(name))
    throw new InputError(input, `'${name}' in '${text}' is not a Kubernetes object name`, `${forms}.`);
  return { kind, name };
}
