import type { V1Deployment, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { KubernetesManifest } from './manifests.ts';

/**
 * The HorizontalPodAutoscaler that scales the Deployment `name`, if one does. An HPA writes its
 * target's `spec.replicas` (through the scale subresource, as `kube-controller-manager`), so
 * that field is the HPA's: Rollgate neither applies it nor bases replica arithmetic on a
 * manifest's number (https://kubernetes.io/docs/reference/using-api/server-side-apply/#transferring-ownership).
 */
export function autoscalerOf(
  autoscalers: readonly V2HorizontalPodAutoscaler[],
  name: string,
): V2HorizontalPodAutoscaler | undefined {
  return autoscalers.find((hpa) => {
    const target = hpa.spec.scaleTargetRef;
    return (
      target.kind === 'Deployment' &&
      target.name === name &&
      (target.apiVersion === undefined || target.apiVersion === 'apps/v1')
    );
  });
}

/** The manifest without `spec.replicas` (a copy: the original stays as read). */
export function withoutReplicas(manifest: KubernetesManifest): KubernetesManifest {
  const spec = manifest.spec;
  if (typeof spec !== 'object' || spec === null || !('replicas' in spec)) return manifest;
  const { replicas: _replicas, ...rest } = spec as Record<string, unknown>;
  return { ...manifest, spec: rest };
}

/** Whether `manager`'s server-side apply entry in `managedFields` owns `spec.replicas`. */
export function appliesReplicas(deployment: V1Deployment | undefined, manager: string): boolean {
  return (deployment?.metadata?.managedFields ?? []).some((entry) => {
    const spec = (entry.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec'];
    return entry.manager === manager && entry.operation === 'Apply' && spec?.['f:replicas'] !== undefined;
  });
}

/**
 * The field manager that keeps `spec.replicas` while Rollgate stops applying it. Server-side
 * apply removes a field its applier stops applying when nobody else owns it — the Deployment would
 * fall to 1 replica until the HPA scales it back — so, as the Kubernetes documentation's
 * "Transferring ownership" shows, another manager first applies the live count alone.
 */
export const HANDOVER_MANAGER = 'handover-to-hpa';

/** The apply configuration that hands `spec.replicas` of `deployment` over at its live count. */
export function replicasHandover(manifest: KubernetesManifest, replicas: number): KubernetesManifest {
  return {
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    metadata: {
      name: manifest.metadata.name,
      ...(manifest.metadata.namespace ? { namespace: manifest.metadata.namespace } : {}),
    },
    spec: { replicas },
  };
}
