/**
 * The App's settings from its environment, checked before anything listens: a server that would
 * accept forged webhooks or fail on its first token request does not start.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RollgateError } from '../../src/errors.ts';
import { GITHUB_WRITE_LIMITS, type WriteLimits } from '../limits/policy.ts';

/** A setting the App cannot start with. */
export class StartupError extends RollgateError {}

/** Probot's default secret (`development`) is public: anyone could sign a webhook with it. */
const DEVELOPMENT_SECRET = 'development';
/** GitHub never sends a delivery over 25 MB (docs: "Payloads are capped at 25 MB"). */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/** Kubernetes' default terminationGracePeriodSeconds is 30: finish before the SIGKILL. */
const DEFAULT_SHUTDOWN_GRACE_MS = 25_000;
/**
 * A round a minute: a deferred request goes out within a minute of its opening even when the
 * replica that deferred it is gone (the one that is up wakes at the opening itself).
 */
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

interface Listen {
  readonly port: number;
  readonly host: string;
  readonly webhookPath: string;
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty';
  /** `https://api.github.com`, or GitHub Enterprise Server's `PROTOCOL://HOST/api/v3`. */
  readonly baseUrl: string;
}

export type AppConfig =
  | (Listen & { readonly mode: 'setup' })
  | (Listen & {
      readonly mode: 'app';
      readonly appId: number;
      readonly privateKey: string;
      readonly webhookSecret: string;
      /** The secret is Probot's public default: allowed with NODE_ENV=development only. */
      readonly insecureSecret: boolean;
      readonly redisUrl: string | undefined;
      readonly writeLimits: WriteLimits;
      readonly shutdownGraceMs: number;
      /** How often this replica looks for deferred deploy requests that are due. */
      readonly sweepIntervalMs: number;
    });

type Env = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new StartupError(
      `${name} is '${raw}'.`,
      'It must be a whole number of at least 1.',
      `Set ${name} to a positive whole number, or unset it for the default (${fallback}).`,
    );
  return value;
}

/** The private key in PEM from PRIVATE_KEY (escaped newlines allowed) or PRIVATE_KEY_PATH. */
function privateKeyOf(env: Env): string {
  const inline = nonEmpty(env.PRIVATE_KEY);
  const path = nonEmpty(env.PRIVATE_KEY_PATH);
  let pem: string;
  if (inline !== undefined) pem = inline.replace(/\\n/g, '\n');
  else if (path !== undefined) {
    try {
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      throw new StartupError(
        `PRIVATE_KEY_PATH '${path}' cannot be read.`,
        error instanceof Error ? error.message : String(error),
        "Point PRIVATE_KEY_PATH at the .pem file downloaded from the App's settings page.",
      );
    }
  } else
    throw new StartupError(
      'The App has no private key.',
      'APP_ID is set, but neither PRIVATE_KEY nor PRIVATE_KEY_PATH is: the App cannot authenticate to GitHub.',
      "Set PRIVATE_KEY to the PEM text, or PRIVATE_KEY_PATH to the .pem file from the App's settings page.",
    );
  try {
    createPrivateKey(pem);
  } catch {
    throw new StartupError(
      `The private key from ${inline !== undefined ? 'PRIVATE_KEY' : 'PRIVATE_KEY_PATH'} is not a valid PEM private key.`,
      'GitHub signs nothing the App sends with a key Node cannot read.',
      "Use the .pem file GitHub generated on the App's settings page (it begins with -----BEGIN RSA PRIVATE KEY-----).",
    );
  }
  return pem;
}

function redisUrlOf(env: Env): string | undefined {
  const raw = nonEmpty(env.REDIS_URL);
  if (raw === undefined) return undefined;
  if (!URL.canParse(raw) || new URL(raw).protocol !== 'redis:')
    throw new StartupError(
      `REDIS_URL '${raw.replace(/\/\/[^@/]*@/, '//***@')}' is not a redis:// URL.`,
      'The App shares its rate-limit budgets over a plain Redis connection.',
      'Set REDIS_URL to redis://[user:password@]host:port[/db], or unset it to keep the budgets in each replica.',
    );
  return raw;
}

/** Reads and checks the environment; throws `StartupError` with the fix. */
export function readAppConfig(env: Env): AppConfig {
  const development = env.NODE_ENV === 'development';
  const ghe = nonEmpty(env.GHE_HOST);
  const listen: Listen = {
    port: env.PORT === undefined || env.PORT === '' ? 3000 : positiveInteger(env, 'PORT', 3000),
    host: nonEmpty(env.HOST) ?? 'localhost',
    webhookPath: nonEmpty(env.WEBHOOK_PATH) ?? '/api/github/webhooks',
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    logFormat:
      env.LOG_FORMAT === 'json' || (env.LOG_FORMAT === undefined && env.NODE_ENV === 'production')
        ? 'json'
        : 'pretty',
    baseUrl:
      ghe === undefined
        ? 'https://api.github.com'
        : `${nonEmpty(env.GHE_PROTOCOL) ?? 'https'}://${ghe}/api/v3`,
  };
  const appIdText = nonEmpty(env.APP_ID);
  if (appIdText === undefined) {
    if (env.NODE_ENV === 'production')
      throw new StartupError(
        'APP_ID is not set.',
        'Without it the App would start its setup page, which production must not serve.',
        'Set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH) and WEBHOOK_SECRET from the registered App.',
      );
    return { ...listen, mode: 'setup' };
  }
  const appId = Number(appIdText);
  if (!Number.isInteger(appId) || appId < 1)
    throw new StartupError(
      `APP_ID is '${appIdText}'.`,
      "An App's id is a positive whole number.",
      "Copy the App ID from the App's settings page.",
    );
  const privateKey = privateKeyOf(env);
  const secret = nonEmpty(env.WEBHOOK_SECRET);
  if (secret === undefined && !development)
    throw new StartupError(
      'WEBHOOK_SECRET is not set.',
      `Without it Probot verifies webhooks with its public default secret '${DEVELOPMENT_SECRET}', so anyone could forge a /deploy.`,
      "Set WEBHOOK_SECRET to the App's webhook secret (or NODE_ENV=development for local experiments).",
    );
  return {
    ...listen,
    mode: 'app',
    appId,
    privateKey,
    webhookSecret: secret ?? DEVELOPMENT_SECRET,
    insecureSecret: secret === undefined,
    redisUrl: redisUrlOf(env),
    writeLimits: {
      perMinute: positiveInteger(env, 'ROLLGATE_WRITES_PER_MINUTE', GITHUB_WRITE_LIMITS.perMinute),
      perHour: positiveInteger(env, 'ROLLGATE_WRITES_PER_HOUR', GITHUB_WRITE_LIMITS.perHour),
    },
    shutdownGraceMs: positiveInteger(env, 'ROLLGATE_SHUTDOWN_GRACE_MS', DEFAULT_SHUTDOWN_GRACE_MS),
    sweepIntervalMs: positiveInteger(env, 'ROLLGATE_SWEEP_INTERVAL_MS', DEFAULT_SWEEP_INTERVAL_MS),
  };
}
