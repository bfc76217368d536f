/** A kubeconfig for the test server that `KubeConfig.loadFromString` (and kubectl) accept unchanged. */
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** The context's default namespace (default: `default`). */
  readonly namespace?: string;
  /** The bearer token to present (default: the server's own; pass another to be refused). */
  readonly token?: string;
  /** Cluster, user and context name (default: `rollgate-test`). */
  readonly name?: string;
}

export function renderKubeconfig(
  server: { readonly url: string; readonly ca: string; readonly token: string },
  options: KubeconfigOptions = {},
): string {
  const name = options.name ?? 'rollgate-test';
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: server.url,
          'certificate-authority-data': Buffer.from(server.ca).toString('base64'),
        },
      },
    ],
    users: [{ name, user: { token: options.token ?? server.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: options.namespace ?? 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
