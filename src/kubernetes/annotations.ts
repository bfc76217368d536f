/** What a change records on the objects it touches, so `kubectl describe` tells who shipped what. */
export interface TraceFacts {
  readonly version: string;
  readonly sha: string;
  readonly deploymentId: number | undefined;
  readonly runUrl: string | undefined;
  readonly actor: string | undefined;
}

export const VERSION_ANNOTATION = 'rollgate.dev/version';
export const SHA_ANNOTATION = 'rollgate.dev/sha';

/**
 * How the rollout of a revision ended, written on its ReplicaSet when the deploy (or rollback)
 * finishes. The ReplicaSet keeps it across later rollouts, unlike the Deployment, whose
 * annotations the next rollout replaces: it is what "the previous *good* revision" is read from.
 */
export const OUTCOME_ANNOTATION = 'rollgate.dev/outcome';

/** `success`; `failed` (left in place or never served); `rolled-back` (replaced by a rollback). */
export type RevisionOutcome = 'success' | 'failed' | 'rolled-back';

/** The outcome Rollgate recorded on an object, or undefined when it recorded none (or an unknown word). */
export function outcomeOf(object: {
  metadata?: { annotations?: Record<string, string> };
}): RevisionOutcome | undefined {
  const value = object.metadata?.annotations?.[OUTCOME_ANNOTATION];
  return value === 'success' || value === 'failed' || value === 'rolled-back' ? value : undefined;
}

/**
 * `rollgate.dev/{version,sha,deployment-id,run-url}` and `kubernetes.io/change-cause`
 * (what `kubectl rollout history` shows in its CHANGE-CAUSE column).
 */
export function traceAnnotations(facts: TraceFacts, verb = 'deploy'): Record<string, string> {
  const annotations: Record<string, string> = {
    [VERSION_ANNOTATION]: facts.version,
    [SHA_ANNOTATION]: facts.sha,
    'kubernetes.io/change-cause': `rollgate ${verb} ${facts.version}${facts.sha ? ` (${facts.sha.slice(0, 7)})` : ''}${facts.actor ? ` by ${facts.actor}` : ''}`,
  };
  if (facts.deploymentId !== undefined)
    annotations['rollgate.dev/deployment-id'] = String(facts.deploymentId);
  if (facts.runUrl !== undefined) annotations['rollgate.dev/run-url'] = facts.runUrl;
  return annotations;
}
