/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/apps`, `/apis/apps/v1`,
 * `/apis/autoscaling/v2`, `/version`): what
 * clients read to map a kind to its resource path. KubernetesObjectApi looks a kind up in the
 * APIResourceList and takes the first entry of that kind, so subresources follow their resource.
 */
import type {
  V1APIGroup,
  V1APIGroupList,
  V1APIResource,
  V1APIResourceList,
  V1APIVersions,
} from '@kubernetes/client-node';
import { apiVersionOf, resourceTypes, resourceVerbs, type ResourceType } from './resources.ts';

function resourceEntries(type: ResourceType): V1APIResource[] {
  const main: V1APIResource = {
    name: type.plural,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs:
      type.kind === 'Namespace' ? ['create', 'get', 'list', 'patch', 'update', 'watch'] : [...resourceVerbs],
    shortNames: [...type.shortNames],
    // `kubectl get all` lists neither namespaces nor ControllerRevisions.
    ...(type.kind === 'Namespace' || type.kind === 'ControllerRevision' ? {} : { categories: ['all'] }),
  };
  const status: V1APIResource = {
    name: `${type.plural}/status`,
    singularName: '',
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: ['get', 'patch', 'update'],
  };
  return type.hasStatus ? [main, status] : [main];
}

/** The APIResourceList of a group version, or undefined when the server does not serve it. */
export function apiResourceList(group: string, version: string): V1APIResourceList | undefined {
  const types = resourceTypes.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: apiVersionOf(types[0]!),
    resources: types.flatMap(resourceEntries).sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}

export function apiVersions(serverAddress: string): V1APIVersions {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** The one version this server serves of each named group (apps/v1, autoscaling/v2). */
function servedGroups(): Map<string, string> {
  return new Map(resourceTypes.filter((t) => t.group !== '').map((t) => [t.group, t.version]));
}

function apiGroup(name: string, served: string, typeMeta: boolean): V1APIGroup {
  const version = { groupVersion: `${name}/${served}`, version: served };
  const group = { name, versions: [version], preferredVersion: version };
  return typeMeta ? { kind: 'APIGroup', apiVersion: 'v1', ...group } : group;
}

export function apiGroupList(): V1APIGroupList {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...servedGroups()].map(([name, version]) => apiGroup(name, version, false)),
  };
}

export function apiGroupDocument(name: string): V1APIGroup | undefined {
  const version = servedGroups().get(name);
  return version === undefined ? undefined : apiGroup(name, version, true);
}

export const versionInfo = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-04-23T00:00:00Z',
  goVersion: 'go1.24.2',
  compiler: 'gc',
  platform: 'linux/amd64',
};
