/**
 * The kubeconfig's YAML as Rollgate reads it before the client does: its shape (with line and
 * column on a mistake) and the secret values in it. Kept apart from `credentials.ts` because the
 * `yaml` parser is large: it is loaded only once a run's inputs are valid and it needs a cluster.
 */
import { LineCounter, parseDocument } from 'yaml';
import { urlSecrets } from '../health/redact.ts';
import { InputError } from '../errors.ts';

/** What Rollgate needs of a valid kubeconfig: the context it uses, its server and namespace. */
export interface KubeconfigFacts {
  readonly context: string;
  readonly server: string | undefined;
  /** The context's namespace; undefined when it names none (kubectl then uses `default`). */
  readonly namespace: string | undefined;
}

/**
 * Checks the kubeconfig's shape before the client sees it, so a mistake is reported with its
 * line and column and never by echoing the file (it holds credentials).
 */
export function validateKubeconfig(yaml: string, origin: string): KubeconfigFacts {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yaml, { lineCounter, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const { line, col } = lineCounter.linePos(syntax.pos[0]);
    throw new InputError(
      'kubeconfig',
      `${origin} is not valid YAML at line ${line}, column ${col} (${syntax.code})`,
      'Check the secret holds the whole kubeconfig file, indentation intact (or its base64 encoding).',
    );
  }
  const root = asRecord(doc.toJS());
  const clusters = Array.isArray(root.clusters) ? (root.clusters as unknown[]) : [];
  if (clusters.length === 0) {
    throw new InputError(
      'kubeconfig',
      `${origin} has no clusters`,
      'Pass a kubeconfig file with clusters, users and contexts (kubectl config view --raw --minify prints one).',
    );
  }
  const contexts = (Array.isArray(root.contexts) ? (root.contexts as unknown[]) : []).map(asRecord);
  const names = contexts.map((item) => (typeof item.name === 'string' ? item.name : ''));
  const current = root['current-context'];
  const wanted = typeof current === 'string' && current !== '' ? current : undefined;
  const context = wanted ?? names[0];
  if (context === undefined || !names.includes(context)) {
    throw new InputError(
      'kubeconfig',
      `${origin} has no context${wanted === undefined ? '' : ` named '${wanted}'`}`,
      `Set current-context to one of its contexts${names.length > 0 ? ` (${names.join(', ')})` : ''}.`,
    );
  }
  const contextEntry = asRecord(contexts.find((c) => c.name === context)?.context);
  const clusterEntry = clusters.map(asRecord).find((c) => c.name === contextEntry.cluster);
  const server = asRecord(clusterEntry?.cluster).server;
  const namespace = contextEntry.namespace;
  return {
    context,
    server: typeof server === 'string' ? server : undefined,
    namespace: typeof namespace === 'string' && namespace !== '' ? namespace : undefined,
  };
}

const SECRET_KEYS = new Set([
  'token',
  'password',
  'client-key-data',
  'client-certificate-data',
  'access-token',
  'refresh-token',
  'id-token',
  'client-secret',
  'idp-certificate-authority-data',
]);

/** `--token=…`, `--client-secret=…`, `--password=…` in an exec plugin's arguments. */
const SECRET_ARGUMENT = /^--?[\w-]*(?:token|secret|password|key)[\w-]*=(.+)$/i;

/** Shorter values are left alone: masking `abc` would star out every word that contains it. */
const MIN_SECRET_LENGTH = 6;

/**
 * Values in a kubeconfig that must never be printed, as they stand in the file: tokens,
 * passwords, keys and the auth-provider's secrets in `users` (YAML or JSON, any style); every
 * `exec` plugin's environment values and `--token=`-style arguments (client-go passes them to
 * the plugin, and they are how cloud credentials get there); the HTTP Basic header a
 * username and password make (client-node sends `Basic base64(user:password)`); and the
 * credentials and `?token=`-style query values of each cluster's `server` and `proxy-url`.
 * An unparsable kubeconfig gives none: it is refused without being echoed.
 */
export function kubeconfigSecrets(yaml: string): string[] {
  let config: unknown;
  try {
    config = parseDocument(yaml).toJS();
  } catch {
    return [];
  }
  const root = asRecord(config);
  const secrets: string[] = [];
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.trim().length >= MIN_SECRET_LENGTH) secrets.push(value.trim());
  };
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (SECRET_KEYS.has(key) && typeof inner === 'string') add(inner);
        else walk(inner);
      }
    }
  };
  const users = Array.isArray(root.users) ? (root.users as unknown[]) : [];
  walk(users);
  for (const user of users.map((entry) => asRecord(asRecord(entry).user))) {
    const exec = asRecord(user.exec);
    for (const variable of Array.isArray(exec.env) ? (exec.env as unknown[]) : [])
      add(asRecord(variable).value);
    for (const argument of Array.isArray(exec.args) ? (exec.args as unknown[]) : []) {
      if (typeof argument === 'string') add(SECRET_ARGUMENT.exec(argument)?.[1]);
    }
    if (typeof user.username === 'string' && typeof user.password === 'string')
      add(Buffer.from(`${user.username}:${user.password}`).toString('base64'));
  }
  for (const cluster of (Array.isArray(root.clusters) ? (root.clusters as unknown[]) : []).map((entry) =>
    asRecord(asRecord(entry).cluster),
  )) {
    for (const url of [cluster.server, cluster['proxy-url']])
      if (typeof url === 'string') urlSecrets(url).forEach(add);
  }
  return [...new Set(secrets)];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const PEM_ARMOR = /^-----(?:BEGIN|END) [A-Z0-9 ]+-----$/;

/**
 * Every form in which a secret could reach a log: as written; base64-encoded (how a header or
 * a re-encoded kubeconfig would carry it); and, for base64 data such as `client-key-data`, the
 * decoded text line by line — the runner masks line by line (so does `@actions/core`'s
 * `setSecret`: a multi-line value is only masked per line), and a PEM's armor lines
 * (`-----BEGIN …-----`) are not secret and would star out every certificate in the log.
 */
export function printableForms(secret: string): string[] {
  const forms = [secret, Buffer.from(secret, 'utf8').toString('base64')];
  if (BASE64.test(secret) && secret.length % 4 === 0) {
    const decoded = Buffer.from(secret, 'base64').toString('utf8');
    // Only text decodes to something a log could show; binary DER would never print as such.
    if (isPrintableText(decoded)) {
      forms.push(
        ...decoded
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line.length >= MIN_SECRET_LENGTH && !PEM_ARMOR.test(line)),
      );
    }
  }
  return [...new Set(forms)];
}

/** No replacement characters (invalid UTF-8) and no control characters but tab and line ends. */
function isPrintableText(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code === 0xfffd || (code < 0x20 && char !== '\t' && char !== '\n' && char !== '\r')) return false;
  }
  return true;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
