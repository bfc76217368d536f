/**
 * The Deployment controller's sync (`pkg/controller/deployment`: deployment_controller.go
 * syncDeployment, sync.go, rolling.go, recreate.go, progress.go): one call reconciles one
 * Deployment — creates or re-uses the new ReplicaSet, scales new up and old down within
 * maxSurge/maxUnavailable (or all old down first for Recreate), handles pause and resize,
 * prunes history beyond revisionHistoryLimit and writes status and conditions.
 */
import type { SimulatedClock, TimerKind } from './clock.ts';
import { semanticEqual } from './json-value.ts';
import {
  activeReplicaSets,
  actualReplicaCount,
  availableReplicaCount,
  byCreation,
  bySize,
  desiredReplicas,
  desiredReplicasAnnotationOf,
  findActiveOrLatest,
  isRollingUpdate,
  isSaturated,
  maxSurge,
  maxUnavailable,
  newReplicaSetReplicas,
  proportion,
  replicasAnnotations,
  replicasOf,
  specReplicaCount,
} from './deployment-replicas.ts';
import {
  equalIgnoreHash,
  findNewReplicaSet,
  maxRevision,
  podTemplateHashLabel,
  revisionAnnotation,
  revisionOf,
  setNewReplicaSetAnnotations,
} from './deployment-revisions.ts';
import {
  calculateStatus,
  conditionOf,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  hasProgressDeadline,
  newCondition,
  normalizeStatus,
  reasons,
  removeCondition,
  setCondition,
  type DeploymentCondition,
  type DeploymentStatus,
} from './deployment-status.ts';
import { computePodTemplateHash } from './pod-template-hash.ts';
import type { Registry } from './registry.ts';
import { isControlledBy } from './replicaset-controller.ts';
import {
  deployments,
  isDeployment,
  isPod,
  isReplicaSet,
  pods,
  replicaSets,
  type Deployment,
  type ReplicaSet,
} from './resources.ts';
import { labelSelectorFromObject, matchesLabels } from './selectors.ts';
import { KubeError } from './status.ts';

export interface DeploymentSyncContext {
  readonly registry: Registry;
  readonly clock: SimulatedClock;
  /** Asks for another sync of this Deployment after `seconds` of simulated time. */
  readonly requeueAfter: (seconds: number, kind: TimerKind) => void;
}

/** Reconciles one Deployment, as one `syncDeployment` call does. */
export function syncDeployment(context: DeploymentSyncContext, deployment: Deployment): void {
  new DeploymentSync(context, deployment).run();
}

class DeploymentSync {
  readonly #context: DeploymentSyncContext;
  /** The Deployment as last written: every status update replaces it. */
  #d: Deployment;

  constructor(context: DeploymentSyncContext, deployment: Deployment) {
    this.#context = context;
    this.#d = deployment;
  }

  run(): void {
    this.#checkPausedConditions();
    if (this.#d.spec?.paused) {
      this.#sync();
      return;
    }
    if (this.#isScalingEvent()) {
      this.#sync();
      return;
    }
    if (isRollingUpdate(this.#d)) this.#rolloutRolling();
    else this.#rolloutRecreate();
  }

  get #now(): string {
    return this.#context.clock.timestamp();
  }

  #replicaSets(): ReplicaSet[] {
    const d = this.#d;
    const selector = labelSelectorFromObject(d.spec?.selector);
    return this.#context.registry
      .list(replicaSets, d.metadata.namespace)
      .filter(isReplicaSet)
      .filter((rs) => isControlledBy(rs, d.metadata.uid) && matchesLabels(selector, rs.metadata.labels));
  }

  /** The new ReplicaSet (if any) and all old ones, freshly read. */
  #partition(): { readonly newRS: ReplicaSet | undefined; readonly oldRSs: ReplicaSet[] } {
    const list = this.#replicaSets();
    const newRS = findNewReplicaSet(this.#d, list);
    return { newRS, oldRSs: list.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid) };
  }

  #writeStatus(): void {
    const stored = this.#context.registry.replaceStatus(
      deployments,
      this.#d.metadata.namespace,
      this.#d.metadata.name ?? '',
      this.#d,
    );
    if (isDeployment(stored)) this.#d = stored;
  }

  #updateReplicaSet(rs: ReplicaSet): ReplicaSet {
    const stored = this.#context.registry.replace(
      replicaSets,
      rs.metadata.namespace,
      rs.metadata.name ?? '',
      rs,
    );
    return isReplicaSet(stored) ? stored : rs;
  }

  #status(): DeploymentStatus {
    this.#d.status ??= {};
    return this.#d.status;
  }

  /** `checkPausedConditions`: Progressing Unknown while paused, so a pause never times out. */
  #checkPausedConditions(): void {
    if (!hasProgressDeadline(this.#d)) return;
    const condition = conditionOf(this.#d.status, 'Progressing');
    if (condition?.reason === reasons.progressDeadlineExceeded) return;
    const pausedConditionExists = condition?.reason === reasons.paused;
    const paused = this.#d.spec?.paused === true;
    if (paused && !pausedConditionExists) {
      setCondition(
        this.#status(),
        newCondition('Progressing', 'Unknown', reasons.paused, 'Deployment is paused', this.#now),
      );
    } else if (!paused && pausedConditionExists) {
      setCondition(
        this.#status(),
        newCondition('Progressing', 'Unknown', reasons.resumed, 'Deployment is resumed', this.#now),
      );
    } else return;
    this.#writeStatus();
  }

  /** `isScalingEvent`: an active ReplicaSet was sized for another replica count. */
  #isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(false);
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    return activeReplicaSets(all).some((rs) => {
      const desired = desiredReplicasAnnotationOf(rs);
      return desired !== undefined && desired !== desiredReplicas(this.#d);
    });
  }

  #getAllReplicaSetsAndSyncRevision(create: boolean): {
    newRS: ReplicaSet | undefined;
    oldRSs: ReplicaSet[];
  } {
    const newRS = this.#getNewReplicaSet(create);
    const oldRSs = this.#replicaSets().filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
    return { newRS, oldRSs };
  }

  /**
   * `getNewReplicaSet`: re-uses the ReplicaSet whose template matches (raising its revision past
   * every old one: that is how a rollback becomes revision 3), or creates
   * `<deployment>-<pod-template-hash>` when `create` is set.
   */
  #getNewReplicaSet(create: boolean): ReplicaSet | undefined {
    const d = this.#d;
    const { newRS: existing, oldRSs } = this.#partition();
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (annotationsUpdated || (copy.spec?.minReadySeconds ?? 0) !== minReady) {
        const { minReadySeconds: _previous, ...spec } = copy.spec ?? { selector: {} };
        // Zero is omitted on the wire (`omitempty`): writing it would look like a spec change.
        copy.spec = minReady === 0 ? spec : { ...spec, minReadySeconds: minReady };
        return this.#updateReplicaSet(copy);
      }
      let needsUpdate = this.#setRevision(copy.metadata.annotations?.[revisionAnnotation]);
      if (hasProgressDeadline(d) && !conditionOf(d.status, 'Progressing')) {
        const message = `Found new replica set "${copy.metadata.name ?? ''}"`;
        setCondition(
          this.#status(),
          newCondition('Progressing', 'True', reasons.foundNewReplicaSet, message, this.#now),
        );
        needsUpdate = true;
      }
      if (needsUpdate) this.#writeStatus();
      return copy;
    }
    if (!create) return undefined;
    return this.#createNewReplicaSet(oldRSs, newRevision);
  }

  #createNewReplicaSet(oldRSs: readonly ReplicaSet[], newRevision: number): ReplicaSet {
    const d = this.#d;
    const template = structuredClone(d.spec?.template ?? {});
    const hash = computePodTemplateHash(template, d.status?.collisionCount);
    const labels = { ...template.metadata?.labels, [podTemplateHashLabel]: hash };
    template.metadata = { ...template.metadata, labels };
    const selector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [podTemplateHashLabel]: hash };
    const newRS: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name ?? ''}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        labels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d.metadata.name ?? '',
            uid: d.metadata.uid ?? '',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        replicas: 0,
        ...(d.spec?.minReadySeconds === undefined ? {} : { minReadySeconds: d.spec.minReadySeconds }),
        selector,
        template,
      },
    };
    newRS.spec = { ...newRS.spec, selector, replicas: newReplicaSetReplicas(d, [...oldRSs, newRS], newRS) };
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: ReplicaSet;
    let alreadyExisted = false;
    try {
      const stored = this.#context.registry.create(replicaSets, newRS.metadata.namespace, newRS);
      created = isReplicaSet(stored) ? stored : newRS;
    } catch (error) {
      if (!(error instanceof KubeError) || error.status.reason !== 'AlreadyExists') throw error;
      const clash = this.#context.registry.find(
        replicaSets,
        newRS.metadata.namespace,
        newRS.metadata.name ?? '',
      );
      if (
        !clash ||
        !isReplicaSet(clash) ||
        !isControlledBy(clash, d.metadata.uid) ||
        !equalIgnoreHash(clash.spec?.template, d.spec?.template)
      ) {
        // A hash collision: count it, so the next hash differs (sync.go getNewReplicaSet).
        this.#status().collisionCount = (d.status?.collisionCount ?? 0) + 1;
        this.#writeStatus();
        return this.#createNewReplicaSet(oldRSs, newRevision);
      }
      created = clash;
      alreadyExisted = true;
    }
    let needsUpdate = this.#setRevision(String(newRevision));
    if (!alreadyExisted && hasProgressDeadline(d)) {
      const message = `Created new replica set "${created.metadata.name ?? ''}"`;
      setCondition(
        this.#status(),
        newCondition('Progressing', 'True', reasons.newReplicaSetCreated, message, this.#now),
      );
      needsUpdate = true;
    }
    if (needsUpdate) this.#writeStatus();
    return created;
  }

  /** `SetDeploymentRevision`: the Deployment shows its new ReplicaSet's revision. */
  #setRevision(revision: string | undefined): boolean {
    if (revision === undefined) return false;
    const annotations = this.#d.metadata.annotations ?? {};
    if (annotations[revisionAnnotation] === revision) return false;
    this.#d.metadata.annotations = { ...annotations, [revisionAnnotation]: revision };
    return true;
  }

  /** `scaleReplicaSet`: sets the size and the desired/max-replicas annotations. */
  #scale(rs: ReplicaSet, size: number): { readonly scaled: boolean; readonly rs: ReplicaSet } {
    const sizeChanges = replicasOf(rs) !== size;
    const annotations = replicasAnnotations(this.#d, rs);
    if (!sizeChanges && !annotations) return { scaled: false, rs };
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec, selector: copy.spec?.selector ?? {}, replicas: size };
    if (annotations) copy.metadata.annotations = annotations;
    return { scaled: sizeChanges, rs: this.#updateReplicaSet(copy) };
  }

  /** `scaleReplicaSetAndRecordEvent`: only when the size changes. */
  #scaleTo(rs: ReplicaSet, size: number): { readonly scaled: boolean; readonly rs: ReplicaSet } {
    return replicasOf(rs) === size ? { scaled: false, rs } : this.#scale(rs, size);
  }

  #rolloutRolling(): void {
    const { newRS: created, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(true);
    const newRS = created!;
    const all = [...oldRSs, newRS];
    if (this.#reconcileNewReplicaSet(all, newRS)) {
      this.#syncRolloutStatus();
      return;
    }
    if (this.#reconcileOldReplicaSets(all, activeReplicaSets(oldRSs), newRS)) {
      this.#syncRolloutStatus();
      return;
    }
    if (deploymentComplete(this.#d, this.#d.status)) this.#cleanup(oldRSs);
    this.#syncRolloutStatus();
  }

  #reconcileNewReplicaSet(all: readonly ReplicaSet[], newRS: ReplicaSet): boolean {
    const desired = desiredReplicas(this.#d);
    if (replicasOf(newRS) === desired) return false;
    if (replicasOf(newRS) > desired) return this.#scaleTo(newRS, desired).scaled;
    return this.#scaleTo(newRS, newReplicaSetReplicas(this.#d, all, newRS)).scaled;
  }

  /** `reconcileOldReplicaSets`: scale old down as far as maxUnavailable and the new pods allow. */
  #reconcileOldReplicaSets(
    all: readonly ReplicaSet[],
    oldRSs: readonly ReplicaSet[],
    newRS: ReplicaSet,
  ): boolean {
    if (specReplicaCount(oldRSs) === 0) return false;
    const minAvailable = desiredReplicas(this.#d) - maxUnavailable(this.#d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specReplicaCount(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const { oldRSs: cleaned, count: cleanedUp } = this.#cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
    const scaledDown = this.#scaleDownOldForRollingUpdate([...cleaned, newRS], cleaned, minAvailable);
    return cleanedUp + scaledDown > 0;
  }

  /** Old pods that are not available go first: removing them costs no availability. */
  #cleanupUnhealthyReplicas(
    oldRSs: readonly ReplicaSet[],
    maxCleanup: number,
  ): { oldRSs: ReplicaSet[]; count: number } {
    const sorted = [...oldRSs].sort(byCreation);
    let total = 0;
    for (const [index, rs] of sorted.entries()) {
      if (total >= maxCleanup) break;
      const available = rs.status?.availableReplicas ?? 0;
      if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
      const count = Math.min(maxCleanup - total, replicasOf(rs) - available);
      sorted[index] = this.#scaleTo(rs, replicasOf(rs) - count).rs;
      total += count;
    }
    return { oldRSs: sorted, count: total };
  }

  #scaleDownOldForRollingUpdate(
    all: readonly ReplicaSet[],
    oldRSs: readonly ReplicaSet[],
    minAvailable: number,
  ): number {
    const available = availableReplicaCount(all);
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= toScaleDown) break;
      if (replicasOf(rs) === 0) continue;
      const count = Math.min(replicasOf(rs), toScaleDown - total);
      this.#scaleTo(rs, replicasOf(rs) - count);
      total += count;
    }
    return total;
  }

  #rolloutRecreate(): void {
    const first = this.#getAllReplicaSetsAndSyncRevision(false);
    let scaledDown = false;
    for (const rs of activeReplicaSets(first.oldRSs)) scaledDown = this.#scaleTo(rs, 0).scaled || scaledDown;
    if (scaledDown || this.#oldPodsRunning(first.newRS, first.oldRSs)) {
      this.#syncRolloutStatus();
      return;
    }
    const { newRS, oldRSs } = first.newRS ? first : this.#getAllReplicaSetsAndSyncRevision(true);
    this.#scaleTo(newRS!, desiredReplicas(this.#d));
    if (deploymentComplete(this.#d, this.#d.status)) this.#cleanup(oldRSs);
    this.#syncRolloutStatus();
  }

  /** `oldPodsRunning`: Recreate waits until no pod of an old ReplicaSet is left, terminating ones included. */
  #oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): boolean {
    if (actualReplicaCount(oldRSs) > 0) return true;
    const oldUids = new Set(oldRSs.map((rs) => rs.metadata.uid));
    return this.#context.registry
      .list(pods, this.#d.metadata.namespace)
      .filter(isPod)
      .some((pod) => {
        const owner = pod.metadata.ownerReferences?.find((r) => r.controller === true);
        if (!owner || owner.uid === newRS?.metadata.uid || !oldUids.has(owner.uid)) return false;
        return pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
      });
  }

  /** `sync`: for paused Deployments and resizes — scale, prune, update status; no rollout. */
  #sync(): void {
    const { newRS, oldRSs } = this.#getAllReplicaSetsAndSyncRevision(false);
    this.#scaleProportionally(newRS, oldRSs);
    if (this.#d.spec?.paused) this.#cleanup(oldRSs);
    const fresh = this.#partition();
    const all = fresh.newRS ? [...fresh.oldRSs, fresh.newRS] : fresh.oldRSs;
    const status = calculateStatus(all, fresh.newRS, this.#d, this.#now);
    if (semanticEqual(normalizeStatus(this.#d.status ?? {}), status)) return;
    this.#d.status = status;
    this.#writeStatus();
  }

  /** `scale`: one active ReplicaSet takes the new size; several share it by their max-replicas. */
  #scaleProportionally(newRS: ReplicaSet | undefined, oldRSs: readonly ReplicaSet[]): void {
    const d = this.#d;
    const desired = desiredReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if (replicasOf(activeOrLatest) !== desired) this.#scaleTo(activeOrLatest, desired);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const rs of activeReplicaSets(oldRSs)) this.#scaleTo(rs, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const active = activeReplicaSets(newRS ? [...oldRSs, newRS] : oldRSs);
    const allowed = desired > 0 ? desired + maxSurge(d) : 0;
    const toAdd = allowed - specReplicaCount(active);
    if (toAdd !== 0) active.sort(bySize(toAdd > 0));
    let added = 0;
    const sizes = active.map((rs) => {
      if (toAdd === 0) return replicasOf(rs);
      const share = proportion(rs, d, toAdd, added);
      added += share;
      return replicasOf(rs) + share;
    });
    if (toAdd !== 0 && sizes.length > 0) sizes[0] = Math.max(0, sizes[0]! + toAdd - added);
    active.forEach((rs, index) => {
      this.#scale(rs, sizes[index] ?? replicasOf(rs));
    });
  }

  /** `cleanupDeployment`: delete the oldest zero-sized ReplicaSets beyond revisionHistoryLimit. */
  #cleanup(oldRSs: readonly ReplicaSet[]): void {
    const limit = this.#d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === 2147483647) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
    const excess = cleanable.length - limit;
    if (excess <= 0) return;
    const oldestFirst = [...cleanable].sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of oldestFirst.slice(0, excess)) {
      const settled = (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || !settled) continue;
      this.#context.registry.delete(replicaSets, rs.metadata.namespace, rs.metadata.name ?? '');
    }
  }

  /** `syncRolloutStatus`: counts, Available, and Progressing with its reason. */
  #syncRolloutStatus(): void {
    const d = this.#d;
    const { newRS, oldRSs } = this.#partition();
    const all = newRS ? [...oldRSs, newRS] : oldRSs;
    const status = calculateStatus(all, newRS, d, this.#now);
    if (!hasProgressDeadline(d)) status.conditions = removeCondition(status.conditions, 'Progressing');
    const current = conditionOf(d.status, 'Progressing');
    const complete =
      status.replicas === status.updatedReplicas && current?.reason === reasons.newReplicaSetAvailable;
    if (hasProgressDeadline(d) && !complete) this.#estimateProgress(status, newRS, current);
    const next = normalizeStatus(status);
    if (semanticEqual(normalizeStatus(d.status ?? {}), next)) {
      this.#requeueStuckDeployment(next);
      return;
    }
    this.#d.status = next;
    this.#writeStatus();
  }

  #estimateProgress(
    status: DeploymentStatus,
    newRS: ReplicaSet | undefined,
    current: DeploymentCondition | undefined,
  ): void {
    const d = this.#d;
    const subject = newRS
      ? `ReplicaSet "${newRS.metadata.name ?? ''}"`
      : `Deployment "${d.metadata.name ?? ''}"`;
    if (deploymentComplete(d, status)) {
      const message = `${subject} has successfully progressed.`;
      setCondition(
        status,
        newCondition('Progressing', 'True', reasons.newReplicaSetAvailable, message, this.#now),
      );
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even with the same reason: the deadline counts from here.
      const condition = newCondition(
        'Progressing',
        'True',
        reasons.replicaSetUpdated,
        `${subject} is progressing.`,
        this.#now,
      );
      const kept =
        current?.status === 'True' && current.lastTransitionTime
          ? { ...condition, lastTransitionTime: current.lastTransitionTime }
          : condition;
      status.conditions = [...removeCondition(status.conditions, 'Progressing'), kept];
    } else if (deploymentTimedOut(d, status, this.#context.clock.now())) {
      const message = `${subject} has timed out progressing.`;
      setCondition(
        status,
        newCondition('Progressing', 'False', reasons.progressDeadlineExceeded, message, this.#now),
      );
    }
  }

  /** `requeueStuckDeployment`: look again when the progress deadline would pass. */
  #requeueStuckDeployment(status: DeploymentStatus): void {
    const d = this.#d;
    const current = conditionOf(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === reasons.progressDeadlineExceeded) return;
    if (current.reason === reasons.paused) return;
    const deadline = Date.parse(current.lastUpdateTime ?? '') + (d.spec?.progressDeadlineSeconds ?? 0) * 1000;
    const after = (deadline - this.#context.clock.now()) / 1000;
    // A second more than the deadline, as the controller adds to avoid waking up early.
    this.#context.requeueAfter(after < 1 ? Math.max(0, after) + 0.1 : after + 1, 'background');
  }
}
