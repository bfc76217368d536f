import type { V1Container, V1Deployment } from '@kubernetes/client-node';
import { InputError } from '../errors.ts';
import { isImageOf, parseImageReference } from './image.ts';

/** One container whose image changes. */
export interface ImageChange {
  readonly container: string;
  readonly from: string;
  readonly to: string;
}

/**
 * Decides which containers of a Deployment get the new image: the named `container`, or else
 * every container whose image is of the same repository. Says what exists when nothing matches.
 */
export function planImageChanges(deployment: V1Deployment, image: string, container: string): ImageChange[] {
  const name = deployment.metadata?.name ?? '';
  const containers: V1Container[] = deployment.spec?.template.spec?.containers ?? [];
  if (container !== '') {
    const found = containers.find((c) => c.name === container);
    if (!found) {
      throw new InputError(
        'container',
        `deployment ${name} has no container '${container}'`,
        `Use one of its containers: ${containers.map((c) => c.name).join(', ') || '(none)'}.`,
      );
    }
    return [{ container: found.name, from: found.image ?? '', to: image }];
  }
  const repository = parseImageReference('image', image).repository;
  const matching = containers.filter((c) => c.image !== undefined && isImageOf(c.image, repository));
  if (matching.length === 0) {
    throw new InputError(
      'container',
      `no container of deployment ${name} runs an image of ${repository}`,
      `Name the container to update with 'container' (it has ${containers.map((c) => `${c.name}: ${c.image ?? '?'}`).join(', ') || 'none'}).`,
    );
  }
  return matching.map((c) => ({ container: c.name, from: c.image ?? '', to: image }));
}

/**
 * The strategic merge patch that sets the images (containers merge by name) and records the
 * traceability annotations on the Deployment — which the controller copies to the new ReplicaSet.
 */
export function imagePatch(
  changes: readonly ImageChange[],
  annotations: Readonly<Record<string, string>>,
): object {
  return {
    metadata: { annotations },
    spec: { template: { spec: { containers: changes.map((c) => ({ name: c.container, image: c.to })) } } },
  };
}
