import { InputError } from '../errors.ts';
import { parseDuration } from '../inputs/duration.ts';
import { collectInputErrors } from '../inputs/input-errors.ts';
import { parseBoolean, parseInteger, splitLines } from '../inputs/scalars.ts';
import { parseImageReference } from '../kubernetes/image.ts';

export type Strategy = 'rolling' | 'blue-green' | 'canary';
const STRATEGIES: readonly Strategy[] = ['rolling', 'blue-green', 'canary'];

/** A deploy, parsed and checked before anything touches GitHub or the cluster. */
export interface DeploySpec {
  readonly environment: string;
  readonly image: string | undefined;
  readonly manifests: readonly string[];
  readonly namespace: string;
  readonly deployments: readonly string[];
  readonly container: string;
  /** The Service a blue-green deploy switches (default: the Deployment's name). */
  readonly service: string;
  readonly strategy: Strategy;
  readonly canarySteps: readonly number[];
  readonly timeoutMs: number;
  readonly environmentUrl: string | undefined;
  readonly healthUrl: string | undefined;
  readonly autoRollback: boolean;
  readonly restartThreshold: number;
  /** Server-side apply takes fields other field managers own (`force=true`) instead of failing. */
  readonly forceConflicts: boolean;
}

export interface RawDeployInputs {
  readonly environment: string;
  readonly image: string;
  readonly manifests: string;
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
  readonly service: string;
  readonly strategy: string;
  readonly 'canary-steps': string;
  readonly timeout: string;
  readonly 'environment-url': string;
  readonly 'health-url': string;
  readonly 'auto-rollback': string;
  readonly 'restart-threshold': string;
  readonly 'force-conflicts': string;
}

/**
 * The deploy inputs as parsed, before the cluster is known: `namespace` is undefined when the
 * input is empty, and then comes from the kubeconfig context (`withNamespace`), as in kubectl.
 */
export type ParsedDeployInputs = Omit<DeploySpec, 'namespace'> & { readonly namespace: string | undefined };

/** The spec with its namespace: the input's, else the one the kubeconfig context names. */
export function withNamespace(parsed: ParsedDeployInputs, contextNamespace: string): DeploySpec {
  return { ...parsed, namespace: parsed.namespace ?? contextNamespace };
}

/**
 * Parses the deploy inputs; every problem names its input and the fix, and all problems of the
 * inputs are reported together (checks that depend on a value that failed are skipped).
 */
export function parseDeploySpec(raw: RawDeployInputs): ParsedDeployInputs {
  return collectInputErrors((inputs) => {
    const environment = raw.environment.trim();
    if (environment === '') {
      inputs.add(
        new InputError(
          'environment',
          'no environment was given',
          `Set 'environment' (for example 'staging'), or run the workflow on a 'deployment' event, which names it.`,
        ),
      );
    }
    const strategy = inputs.check(() => parseStrategy(raw.strategy));
    const manifests = splitLines(raw.manifests);
    const deployments = splitLines(raw.deployment);
    const image = raw.image.trim() === '' ? undefined : raw.image.trim();
    if (image !== undefined) inputs.check(() => parseImageReference('image', image));
    inputs.check(() => {
      checkTargets(strategy, manifests, deployments, image);
    });
    const spec = {
      environment,
      image,
      manifests,
      namespace: raw.namespace.trim() || undefined,
      deployments,
      container: raw.container.trim(),
      service: raw.service.trim(),
      strategy,
      canarySteps: strategy === 'canary' ? inputs.check(() => parseCanarySteps(raw['canary-steps'])) : [],
      timeoutMs: inputs.check(() =>
        positive('timeout', parseDuration('timeout', raw.timeout.trim() || '10m')),
      ),
      environmentUrl: inputs.check(() => optionalUrl('environment-url', raw['environment-url'])),
      healthUrl: inputs.check(() => optionalUrl('health-url', raw['health-url'])),
      autoRollback: inputs.check(() => parseBoolean('auto-rollback', raw['auto-rollback'] || 'true')),
      restartThreshold: inputs.check(() =>
        parseInteger('restart-threshold', raw['restart-threshold'] || '3', 1, 100),
      ),
      forceConflicts: inputs.check(() => parseBoolean('force-conflicts', raw['force-conflicts'] || 'false')),
    };
    // Every required field is defined once no check failed (collectInputErrors throws otherwise).
    return spec as ParsedDeployInputs;
  });
}

/** What to deploy, and whether the strategy can deploy it; strategy undefined = already reported. */
function checkTargets(
  strategy: Strategy | undefined,
  manifests: readonly string[],
  deployments: readonly string[],
  image: string | undefined,
): void {
  if (manifests.length === 0 && deployments.length === 0) {
    throw new InputError(
      'deployment',
      'there is nothing to deploy: neither deployment nor manifests is set',
      `Name the Deployment(s) to update in 'deployment' (with 'image'), or give 'manifests' to apply.`,
    );
  }
  if (manifests.length === 0 && image === undefined) {
    throw new InputError(
      'image',
      `it is required to update deployment ${deployments.join(', ')}`,
      `Set 'image' to the image to roll out, for example 'ghcr.io/acme/api:1.4.0' (the build action's image output).`,
    );
  }
  if (strategy === undefined || strategy === 'rolling') return;
  if (deployments.length !== 1) {
    throw new InputError(
      'deployment',
      `the ${strategy} strategy needs exactly one Deployment, got ${deployments.length}`,
      `Name the one Deployment that the ${strategy === 'blue-green' ? 'Service switches between colours of' : 'canary is made from'}.`,
    );
  }
  if (image === undefined) {
    throw new InputError('image', `the ${strategy} strategy needs the new image`, `Set 'image'.`);
  }
  if (manifests.length > 0) {
    throw new InputError(
      'manifests',
      `the ${strategy} strategy works on one named Deployment, not on manifests`,
      `Apply the manifests with the rolling strategy, then deploy new images with 'deployment' and 'image'.`,
    );
  }
}

function parseStrategy(raw: string): Strategy {
  const strategy = raw.trim() || 'rolling';
  if (!STRATEGIES.includes(strategy as Strategy)) {
    throw new InputError('strategy', `'${raw}' is not a strategy`, `Use one of ${STRATEGIES.join(', ')}.`);
  }
  return strategy as Strategy;
}

/**
 * `10,50,100` (or one per line): the canary's share of replicas at each step, in percent,
 * strictly increasing; 100 (promote) is added when the list stops short of it.
 */
export function parseCanarySteps(raw: string): number[] {
  const parts = (raw.trim() === '' ? '10,50,100' : raw).split(/[\s,]+/).filter((part) => part !== '');
  const fix = `Write increasing percentages from 1 to 100, for example '10,50,100'.`;
  const steps = parts.map((part) => {
    const text = part.replace(/%$/, '');
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 100) {
      throw new InputError('canary-steps', `'${part}' is not a percentage from 1 to 100`, fix);
    }
    return Number(text);
  });
  for (let i = 1; i < steps.length; i++) {
    if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) {
      throw new InputError(
        'canary-steps',
        `the steps are out of order (${steps[i - 1] ?? ''} then ${steps[i] ?? ''})`,
        fix,
      );
    }
  }
  if (steps.at(-1) !== 100) steps.push(100);
  return steps;
}

function positive(input: string, ms: number): number {
  if (ms <= 0)
    throw new InputError(input, 'it must be longer than zero', `Set '${input}' to a duration such as '5m'.`);
  return ms;
}

function optionalUrl(input: string, raw: string): string | undefined {
  const text = raw.trim();
  if (text === '') return undefined;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text;
  } catch {
    // reported below
  }
  throw new InputError(
    input,
    `'${text}' is not an http(s) URL`,
    `Write an absolute URL such as 'https://staging.example.com'.`,
  );
}
