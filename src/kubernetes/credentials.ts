import type { KubeConfig } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
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

/** The text of a file-or-input source, and how to name it in a message. */
function kubeconfigText(source: Exclude<KubeconfigSource, { kind: 'in-cluster' }>): {
  yaml: string;
  origin: string;
} {
  return source.kind === 'input'
    ? { yaml: source.yaml, origin: "the 'kubeconfig' input" }
    : { yaml: readFileSync(source.path, 'utf8'), origin: `KUBECONFIG file ${source.path}` };
}

/**
 * Every value of the credentials that must be masked before anything could print it, in each
 * form a log could show it (as written, base64-encoded, base64 data decoded): the secrets of
 * the kubeconfig input or the KUBECONFIG file, or the pod's service-account token. Loads the
 * YAML parser, so call it once the inputs are known to be valid.
 */
export async function credentialSecrets(
  source: KubeconfigSource,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Promise<string[]> {
  const { kubeconfigSecrets, printableForms } = await import('./kubeconfig-document.ts');
  const found =
    source.kind === 'in-cluster'
      ? [readFile(SERVICE_ACCOUNT_TOKEN).trim()]
      : kubeconfigSecrets(source.kind === 'input' ? source.yaml : readFile(source.path));
  return [...new Set(found.filter((secret) => secret !== '').flatMap(printableForms))];
}

/** Loads client-node's KubeConfig from the chosen source; client-node is imported only here. */
export async function loadKubeConfig(source: KubeconfigSource): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  if (source.kind === 'in-cluster') {
    config.loadFromCluster();
    return config;
  }
  const { validateKubeconfig } = await import('./kubeconfig-document.ts');
  const { yaml, origin } = kubeconfigText(source);
  const { context } = validateKubeconfig(yaml, origin);
  config.loadFromString(yaml);
  // Without current-context, kubectl has nothing to use; Rollgate uses the (only or first) context it validated.
  config.setCurrentContext(context);
  return config;
}

/**
 * The namespace a run uses when its `namespace` input is empty: the current context's, else
 * `default` — as kubectl does (client-go's `ClientConfig.Namespace()`); in a pod,
 * `loadFromCluster` sets the context's namespace to the service account's.
 */
export function contextNamespace(config: KubeConfig): string {
  const namespace = config.getContextObject(config.getCurrentContext())?.namespace;
  return namespace === undefined || namespace === '' ? 'default' : namespace;
}
