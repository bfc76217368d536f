import type { V1Deployment } from '@kubernetes/client-node';
import { ApplyConflictError, describeTakeover, objectName } from '../kubernetes/apply-conflicts.ts';
import {
  appliesReplicas,
  autoscalerOf,
  HANDOVER_MANAGER,
  replicasHandover,
  withoutReplicas,
} from '../kubernetes/autoscalers.ts';
import { FIELD_MANAGER, type Cluster } from '../kubernetes/cluster.ts';
import {
  loadManifests,
  substituteImage,
  type KubernetesManifest,
  type ManifestObject,
} from '../kubernetes/manifests.ts';
import { imagePatch, planImageChanges, type ImageChange } from '../kubernetes/set-image.ts';
import { revisionOf } from '../kubernetes/undo.ts';
import { InputError } from '../errors.ts';
import { WORKLOAD_KINDS, type WorkloadKind } from '../kubernetes/rollout-status.ts';
import { workloadRevision } from '../kubernetes/workload-revision.ts';

/** A workload the deploy changes, with what it ran before (for the summary and the rollback). */
export interface ChangedDeployment {
  /** Deployment when absent; a manifest's StatefulSets and DaemonSets are awaited and rolled back too. */
  readonly kind?: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
  readonly previousRevision: number | undefined;
  readonly changes: readonly ImageChange[];
}

/** The validated change, ready to apply: nothing has been modified yet. */
export type PreparedTargets =
  | {
      readonly kind: 'set-image';
      readonly deployments: readonly { deployment: V1Deployment; changes: ImageChange[] }[];
    }
  | {
      readonly kind: 'manifests';
      readonly objects: readonly ManifestObject[];
      readonly previous: ReadonlyMap<string, number | undefined>;
      /** `spec.replicas` configurations a hand-over manager applies first (see autoscalers.ts). */
      readonly handovers: readonly KubernetesManifest[];
      /** Whether the apply takes fields other managers own (force-conflicts, with conflicts found). */
      readonly force: boolean;
    };

/**
 * Checks everything before changing anything: every named Deployment exists and has the
 * container; or every manifest parses, gets the image, and passes the API server's validation
 * (server-side dry run). A mistake anywhere fails the deploy with the cluster untouched.
 */
export async function prepareTargets(
  cluster: Cluster,
  namespace: string,
  spec: {
    deployments: readonly string[];
    manifests: readonly string[];
    image: string | undefined;
    container: string;
    forceConflicts: boolean;
  },
  workspace: string,
  log: (line: string) => void = () => undefined,
): Promise<PreparedTargets> {
  if (spec.manifests.length === 0) {
    const deployments = [];
    for (const name of spec.deployments) {
      const deployment = await cluster.readDeployment(namespace, name);
      deployments.push({
        deployment,
        changes: planImageChanges(deployment, spec.image ?? '', spec.container),
      });
    }
    return { kind: 'set-image', deployments };
  }
  const objects = loadManifests(spec.manifests, workspace);
  if (spec.image !== undefined && substituteImage(objects, spec.image) === 0) {
    throw new InputError(
      'image',
      `no container in the manifests runs an image of the repository of ${spec.image}`,
      'Use the repository the manifests name (the tag may differ), or leave image empty to apply the manifests as written.',
    );
  }
  const previous = new Map<string, number | undefined>();
  const handovers: KubernetesManifest[] = [];
  const autoscalers = new Map<string, Awaited<ReturnType<Cluster['listHorizontalPodAutoscalers']>>>();
  const applied: ManifestObject[] = [];
  for (const manifest of objects) {
    let object = manifest.object;
    object.metadata.namespace ??= namespace;
    const objectNamespace = object.metadata.namespace;
    const kind = workloadKindOf(object);
    if (kind === 'Deployment') {
      const live = await liveDeployment(cluster, objectNamespace, object.metadata.name);
      previous.set(object.metadata.name, live === undefined ? undefined : revisionOf(live));
      if (!autoscalers.has(objectNamespace))
        autoscalers.set(objectNamespace, await cluster.listHorizontalPodAutoscalers(objectNamespace));
      const hpa = autoscalerOf(autoscalers.get(objectNamespace) ?? [], object.metadata.name);
      if (hpa !== undefined) {
        object = withoutReplicas(object);
        log(
          `${objectName(object)}: spec.replicas is left to HorizontalPodAutoscaler ${hpa.metadata?.name ?? ''} (${live?.spec?.replicas ?? '?'} replicas now)`,
        );
        if (live?.spec?.replicas !== undefined && appliesReplicas(live, FIELD_MANAGER))
          handovers.push(replicasHandover(object, live.spec.replicas));
      }
    } else if (kind !== undefined) {
      previous.set(
        workloadKey(kind, object.metadata.name),
        await workloadRevision(cluster, kind, objectNamespace, object.metadata.name),
      );
    }
    applied.push({ ...manifest, object });
  }
  let force = false;
  for (const { object } of applied) {
    try {
      await cluster.apply(object, true);
    } catch (error) {
      if (!(error instanceof ApplyConflictError) || !spec.forceConflicts) throw error;
      log(describeTakeover(object, error.conflicts));
      force = true;
      await cluster.apply(object, true, { force: true });
    }
  }
  return { kind: 'manifests', objects: applied, previous, handovers, force };
}

async function liveDeployment(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<V1Deployment | undefined> {
  try {
    return await cluster.readDeployment(namespace, name);
  } catch {
    return undefined;
  }
}

/** The awaited kind of a manifest object (apps/v1 Deployment, StatefulSet, DaemonSet), if it is one. */
function workloadKindOf(object: ManifestObject['object']): WorkloadKind | undefined {
  return object.apiVersion === 'apps/v1' ? WORKLOAD_KINDS.find((k) => k === object.kind) : undefined;
}

function workloadKey(kind: WorkloadKind, name: string): string {
  return kind === 'Deployment' ? name : `${kind}/${name}`;
}

/** Applies the prepared change with the traceability annotations; returns the Deployments to watch. */
export async function applyTargets(
  cluster: Cluster,
  namespace: string,
  prepared: PreparedTargets,
  annotations: Readonly<Record<string, string>>,
): Promise<ChangedDeployment[]> {
  if (prepared.kind === 'set-image') {
    const changed: ChangedDeployment[] = [];
    for (const { deployment, changes } of prepared.deployments) {
      const name = deployment.metadata?.name ?? '';
      await cluster.patchDeployment(namespace, name, imagePatch(changes, annotations), 'strategic');
      changed.push({ name, namespace, previousRevision: revisionOf(deployment), changes });
    }
    return changed;
  }
  const changed: ChangedDeployment[] = [];
  for (const handover of prepared.handovers)
    await cluster.apply(handover, false, { fieldManager: HANDOVER_MANAGER });
  for (const { object } of prepared.objects) {
    const kind = workloadKindOf(object);
    if (kind !== undefined) object.metadata.annotations = { ...object.metadata.annotations, ...annotations };
    await cluster.apply(object, false, { force: prepared.force });
    if (kind !== undefined) {
      const name = object.metadata.name;
      changed.push({
        ...(kind === 'Deployment' ? {} : { kind }),
        name,
        namespace: object.metadata.namespace ?? namespace,
        previousRevision: prepared.previous.get(workloadKey(kind, name)),
        changes: [],
      });
    }
  }
  return changed;
}
