/**
 * How simulated containers behave, chosen by a rule on the image so a test picks a failure mode
 * with nothing but an image tag: `app:1.2.3` becomes Ready, `app:crashloop` crash-loops,
 * `app:pullfail` (or a repository named `does-not-exist`) fails to pull, `app:configerror` cannot
 * be configured, `app:never-ready` runs but never passes readiness.
 */

export type ContainerBehaviour = 'ready' | 'never-ready' | 'crashloop' | 'pull-failure' | 'config-error';

export interface ContainerInfo {
  readonly name: string;
  readonly image: string;
  readonly pod: string;
  readonly namespace: string;
}

/** A test's own rule; `undefined` falls back to the rule on the image. */
export type ContainerBehaviourRule = (container: ContainerInfo) => ContainerBehaviour | undefined;

/** Simulated seconds each step of a pod's life takes. */
export interface PodTimings {
  /** Creation → bound to the node, containers being created. */
  readonly scheduleSeconds: number;
  /** Bound → containers running (and Ready, unless `never-ready`). */
  readonly startSeconds: number;
  /** Bound → first crash of a `crashloop` container. */
  readonly crashSeconds: number;
  /** First back-off between restarts; it doubles up to 300 s as the kubelet's does. */
  readonly crashLoopBackOffSeconds: number;
  /** Bound → `ErrImagePull`. */
  readonly pullFailureSeconds: number;
  /** `ErrImagePull` → `ImagePullBackOff`. */
  readonly imagePullBackOffSeconds: number;
  /** Bound → `CreateContainerConfigError`. */
  readonly configErrorSeconds: number;
  /** Deletion requested → pod gone (graceful termination). */
  readonly terminationSeconds: number;
}

export const defaultPodTimings: PodTimings = {
  scheduleSeconds: 0.2,
  startSeconds: 2,
  crashSeconds: 1,
  crashLoopBackOffSeconds: 10,
  pullFailureSeconds: 1,
  imagePullBackOffSeconds: 4,
  configErrorSeconds: 1,
  terminationSeconds: 1,
};

export interface ImageReference {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
}

/** Splits `registry:5000/team/app:1.2@sha256:…` into repository, tag and digest. */
export function parseImage(image: string): ImageReference {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  return {
    repository: hasTag ? withoutDigest.slice(0, colon) : withoutDigest,
    tag: hasTag ? withoutDigest.slice(colon + 1) : '',
    digest,
  };
}

/** The default rule: the image tag (or a `does-not-exist` repository) picks the behaviour. */
export function behaviourOfImage(image: string): ContainerBehaviour {
  const { repository, tag } = parseImage(image);
  const repositoryName = repository.slice(repository.lastIndexOf('/') + 1);
  if (tag.includes('crashloop')) return 'crashloop';
  if (tag.includes('pullfail') || repositoryName === 'does-not-exist') return 'pull-failure';
  if (tag.includes('configerror')) return 'config-error';
  if (tag.includes('never-ready')) return 'never-ready';
  return 'ready';
}

/** Back-off before restart `restarts + 1`: base × 2^(restarts − 1), at most 300 s (kubelet's CrashLoopBackOff). */
export function crashLoopBackOff(baseSeconds: number, restarts: number): number {
  return Math.min(300, baseSeconds * 2 ** Math.max(0, restarts - 1));
}
