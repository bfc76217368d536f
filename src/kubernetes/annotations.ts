/** What a change records on the objects it touches, so `kubectl describe` tells who shipped what. */
export interface TraceFacts {
  readonly version: string;
  readonly sha: string;
  readonly deploymentId: number | undefined;
  readonly runUrl: string | undefined;
  readonly actor: string | undefined;
}

export const VERSION_ANNOTATION = 'rollgate.dev/version';

/**
 * `rollgate.dev/{version,sha,deployment-id,run-url}` and `kubernetes.io/change-cause`
 * (what `kubectl rollout history` shows in its CHANGE-CAUSE column).
 */
export function traceAnnotations(facts: TraceFacts, verb = 'deploy'): Record<string, string> {
  const annotations: Record<string, string> = {
    [VERSION_ANNOTATION]: facts.version,
    'rollgate.dev/sha': facts.sha,
    'kubernetes.io/change-cause': `rollgate ${verb} ${facts.version}${facts.sha ? ` (${facts.sha.slice(0, 7)})` : ''}${facts.actor ? ` by ${facts.actor}` : ''}`,
  };
  if (facts.deploymentId !== undefined)
    annotations['rollgate.dev/deployment-id'] = String(facts.deploymentId);
  if (facts.runUrl !== undefined) annotations['rollgate.dev/run-url'] = facts.runUrl;
  return annotations;
}
