import type { V1Deployment } from '@kubernetes/client-node';
import type { KubernetesManifest } from '../kubernetes/manifests.ts';
import type { ImageChange } from '../kubernetes/set-image.ts';

/**
 * A Deployment made from another one for a blue-green colour or a canary: the same pod
 * template with the new images, an extra label on selector and pods (so the two sets of pods
 * never share a ReplicaSet), and the traceability annotations. Applied by server-side apply.
 */
export function derivedDeployment(
  base: V1Deployment,
  name: string,
  labels: Readonly<Record<string, string>>,
  changes: readonly ImageChange[],
  annotations: Readonly<Record<string, string>>,
  replicas: number,
): KubernetesManifest {
  const template = JSON.parse(JSON.stringify(base.spec?.template ?? {})) as {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { containers?: { name: string; image?: string }[] };
  };
  for (const container of template.spec?.containers ?? []) {
    const change = changes.find((c) => c.container === container.name);
    if (change) container.image = change.to;
  }
  template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...labels } };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: base.metadata?.namespace ?? 'default',
      labels: { ...base.metadata?.labels, ...labels },
      annotations: { ...annotations },
    },
    spec: {
      replicas,
      selector: { matchLabels: { ...base.spec?.selector.matchLabels, ...labels } },
      template,
      ...(base.spec?.strategy ? { strategy: JSON.parse(JSON.stringify(base.spec.strategy)) as unknown } : {}),
      ...(base.spec?.progressDeadlineSeconds === undefined
        ? {}
        : { progressDeadlineSeconds: base.spec.progressDeadlineSeconds }),
      ...(base.spec?.minReadySeconds === undefined ? {} : { minReadySeconds: base.spec.minReadySeconds }),
    },
  };
}
