/** Maps request paths onto discovery documents and resource endpoints, as the apiserver's mux does. */
import { resourceByPlural, type ResourceType } from './resources.ts';

export type Route =
  | {
      readonly kind: 'discovery';
      readonly document: 'version' | 'api' | 'apis' | 'group' | 'resources';
      readonly group: string;
      readonly version: string;
    }
  | {
      readonly kind: 'resource';
      readonly type: ResourceType;
      /** The namespace in the path; undefined for cluster-scoped kinds and all-namespace lists. */
      readonly namespace?: string;
      readonly name?: string;
      readonly subresource?: string;
    };

function resourceRoute(group: string, version: string, segments: readonly string[]): Route | undefined {
  const [first, second, third, fourth, fifth, ...rest] = segments;
  if (first === undefined || rest.length > 0) return undefined;
  const namespacedType =
    first === 'namespaces' && third !== undefined ? resourceByPlural(group, version, third) : undefined;
  if (namespacedType?.namespaced && second !== undefined) {
    return {
      kind: 'resource',
      type: namespacedType,
      namespace: second,
      ...(fourth === undefined ? {} : { name: fourth }),
      ...(fifth === undefined ? {} : { subresource: fifth }),
    };
  }
  const type = resourceByPlural(group, version, first);
  if (!type || fourth !== undefined) return undefined;
  if (type.namespaced && second !== undefined) return undefined;
  return {
    kind: 'resource',
    type,
    ...(second === undefined ? {} : { name: second }),
    ...(third === undefined ? {} : { subresource: third }),
  };
}

export function parseRoute(pathname: string): Route | undefined {
  const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [root, ...rest] = segments;
  if (root === 'version' && rest.length === 0)
    return { kind: 'discovery', document: 'version', group: '', version: '' };
  if (root === 'api') {
    const [version, ...path] = rest;
    if (version === undefined) return { kind: 'discovery', document: 'api', group: '', version: '' };
    if (path.length === 0) return { kind: 'discovery', document: 'resources', group: '', version };
    return resourceRoute('', version, path);
  }
  if (root === 'apis') {
    const [group, version, ...path] = rest;
    if (group === undefined) return { kind: 'discovery', document: 'apis', group: '', version: '' };
    if (version === undefined) return { kind: 'discovery', document: 'group', group, version: '' };
    if (path.length === 0) return { kind: 'discovery', document: 'resources', group, version };
    return resourceRoute(group, version, path);
  }
  return undefined;
}
