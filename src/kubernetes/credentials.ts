import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { InputError, RollgateError } from '../errors.ts';

/** Where the cluster credentials come from, in the order Rollgate looks. */
export type KubeconfigSource =
  | { readonly kind: 'input'; readonly yaml: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'in-cluster' };

/** The process environment, as far as credentials go: KUBECONFIG, KUBERNETES_SERVICE_HOST and _PORT. */
export type CredentialEnvironment = Readonly<Record<string, string | undefined>>;

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The `kubeconfig` input (YAML, or the same base64-encoded), else the `KUBECONFIG` file, else
 * the pod's service account when running in a cluster. Never client-node's silent fallback to
 * `http://localhost:8080`: with none of these, the run fails and says how to give credentials.
 */
export function chooseKubeconfigSource(
  input: string,
  env: CredentialEnvironment,
  fileExists: (path: string) => boolean = existsSync,
): KubeconfigSource {
  if (input.trim() !== '') return { kind: 'input', yaml: decodeKubeconfig(input) };
  const fromEnv = env.KUBECONFIG?.split(':').find((path) => path !== '');
  if (fromEnv !== undefined) {
    if (!fileExists(fromEnv)) {
      throw new RollgateError(
        `KUBECONFIG points at ${fromEnv}, which does not exist.`,
        'Rollgate reads cluster credentials from that file when the kubeconfig input is empty.',
        `Write the file in an earlier step (for example azure/k8s-set-context), or pass the kubeconfig input from a secret.`,
      );
    }
    return { kind: 'file', path: fromEnv };
  }
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && fileExists(SERVICE_ACCOUNT_TOKEN))
    return { kind: 'in-cluster' };
  throw new RollgateError(
    'No Kubernetes credentials were found.',
    'The kubeconfig input is empty, KUBECONFIG is not set, and this is not a pod in a cluster; Rollgate never guesses a cluster.',
    `Pass a kubeconfig: 'kubeconfig: \${{ secrets.KUBECONFIG }}' (YAML or base64), or set KUBECONFIG in an earlier step.`,
  );
}

/** Accepts the kubeconfig as YAML or as base64 of it (what `base64 -w0 ~/.kube/config` gives). */
export function decodeKubeconfig(raw: string): string {
  const text = raw.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && !text.includes(':')) {
    const decoded = Buffer.from(text.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (/apiVersion|clusters/.test(decoded)) return decoded;
    throw new InputError(
      'kubeconfig',
      'it looks like base64 but does not decode to a kubeconfig',
      'Pass the kubeconfig file as it is, or its base64 encoding (base64 -w0 ~/.kube/config).',
    );
  }
  return raw;
}

/**
 * Checks the kubeconfig's shape before the client sees it, so a mistake is reported with its
 * line and column and never by echoing the file (it holds credentials).
 */
export function validateKubeconfig(
  yaml: string,
  origin: string,
): { context: string; server: string | undefined } {
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
  const config: unknown = doc.toJS();
  const root = config !== null && typeof config === 'object' ? (config as Record<string, unknown>) : {};
  const clusters = Array.isArray(root.clusters) ? (root.clusters as unknown[]) : [];
  if (clusters.length === 0) {
    throw new InputError(
      'kubeconfig',
      `${origin} has no clusters`,
      'Pass a kubeconfig file with clusters, users and contexts (kubectl config view --raw --minify prints one).',
    );
  }
  const names = (Array.isArray(root.contexts) ? (root.contexts as unknown[]) : []).map((item) => {
    const name = (item as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : '';
  });
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
  const contextEntry = (root.contexts as { name?: unknown; context?: { cluster?: unknown } }[]).find(
    (c) => c.name === context,
  );
  const clusterEntry = clusters.find(
    (c) => (c as { name?: unknown } | null)?.name === contextEntry?.context?.cluster,
  );
  const server = (clusterEntry as { cluster?: { server?: unknown } } | undefined)?.cluster?.server;
  return { context, server: typeof server === 'string' ? server : undefined };
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

/**
 * Values in a kubeconfig that must never be printed: tokens, passwords, keys and the
 * auth-provider's secrets, wherever they sit in the users section (YAML or JSON, any style).
 */
export function kubeconfigSecrets(yaml: string): string[] {
  let config: unknown;
  try {
    config = parseDocument(yaml).toJS();
  } catch {
    return [];
  }
  const secrets: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (SECRET_KEYS.has(key) && typeof inner === 'string' && inner.length >= 6) secrets.push(inner);
        else walk(inner);
      }
    }
  };
  walk((config as { users?: unknown } | null)?.users);
  return secrets;
}

/** Loads client-node's KubeConfig from the chosen source; client-node is imported only here. */
export async function loadKubeConfig(source: KubeconfigSource): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (source.kind === 'in-cluster') {
    config.loadFromCluster();
    return config;
  }
  const origin = source.kind === 'input' ? "the 'kubeconfig' input" : `KUBECONFIG file ${source.path}`;
  const yaml =
    source.kind === 'input' ? source.yaml : (await import('node:fs')).readFileSync(source.path, 'utf8');
  const { context } = validateKubeconfig(yaml, origin);
  config.loadFromString(yaml);
  // Without current-context, kubectl has nothing to use; Rollgate uses the (only or first) context it validated.
  config.setCurrentContext(context);
  return config;
}
