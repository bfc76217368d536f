import { globSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { InputError } from '../errors.ts';
import { isImageOf, parseImageReference } from './image.ts';

/** A Kubernetes object read from a manifest file, with where it came from for error messages. */
export interface ManifestObject {
  readonly file: string;
  readonly line: number;
  readonly object: KubernetesManifest;
}

export interface KubernetesManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  } & Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Reads every document of every file the patterns match (`k8s/*.yaml`, one pattern per line),
 * in a stable order. A YAML error is reported with file, line and column; a document that is
 * not a Kubernetes object (apiVersion, kind, metadata.name) with its file and line.
 */
export function loadManifests(patterns: readonly string[], cwd: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const pattern of patterns) {
    const files = globSync(pattern, { cwd })
      .map((file) => resolve(cwd, file))
      .sort();
    if (files.length === 0) {
      throw new InputError(
        'manifests',
        `'${pattern}' matches no file in ${cwd}`,
        'Give paths or globs relative to the workspace, for example k8s/*.yaml, and make sure the job checked out the repository.',
      );
    }
    for (const file of files) objects.push(...parseManifestFile(file, relative(cwd, file) || file));
  }
  return objects;
}

function parseManifestFile(path: string, shown: string): ManifestObject[] {
  const text = readFileSync(path, 'utf8');
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const objects: ManifestObject[] = [];
  for (const document of Array.isArray(documents) ? documents : [documents]) {
    const error = document.errors[0];
    if (error !== undefined) {
      const { line, col } = lineCounter.linePos(error.pos[0]);
      throw new InputError(
        'manifests',
        `${shown}:${line}:${col} is not valid YAML: ${error.message.split('\n')[0] ?? error.code}`,
        `Fix the YAML at ${shown} line ${line}, column ${col} (kubectl apply --dry-run=client -f ${shown} shows the same).`,
      );
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    const line = document.contents?.range ? lineCounter.linePos(document.contents.range[0]).line : 1;
    objects.push({ file: shown, line, object: asManifest(value, `${shown}:${line}`) });
  }
  return objects;
}

function asManifest(value: unknown, where: string): KubernetesManifest {
  const object = value as Partial<KubernetesManifest> | null;
  const missing = ['apiVersion', 'kind'].filter(
    (key) => typeof object?.[key] !== 'string' || object[key] === '',
  );
  if (typeof object?.metadata?.name !== 'string' || object.metadata.name === '')
    missing.push('metadata.name');
  if (typeof value !== 'object' || Array.isArray(value) || missing.length > 0) {
    throw new InputError(
      'manifests',
      `the document at ${where} is not a Kubernetes object (missing ${missing.join(', ') || 'everything'})`,
      'Every YAML document must have apiVersion, kind and metadata.name.',
    );
  }
  return value as KubernetesManifest;
}

type Container = { name?: string; image?: string };

/** The container lists of an object's pod template, for the kinds that have one. */
function podContainers(object: KubernetesManifest): Container[][] {
  const spec = object.spec as Record<string, unknown> | undefined;
  const podSpec = (() => {
    switch (object.kind) {
      case 'Pod':
        return spec;
      case 'CronJob':
        return (
          (
            (spec?.jobTemplate as Record<string, unknown> | undefined)?.spec as
              Record<string, unknown> | undefined
          )?.template as Record<string, unknown> | undefined
        )?.spec as Record<string, unknown> | undefined;
      default:
        return (spec?.template as Record<string, unknown> | undefined)?.spec as
          Record<string, unknown> | undefined;
    }
  })();
  return ['initContainers', 'containers'].map((key) =>
    Array.isArray(podSpec?.[key]) ? (podSpec[key] as Container[]) : [],
  );
}

/**
 * Puts `image` into every container whose image is of the same repository (as `kustomize
 * edit set image` does), and returns how many it changed. The objects are changed in place.
 */
export function substituteImage(objects: readonly ManifestObject[], image: string): number {
  const repository = parseImageReference('image', image).repository;
  let changed = 0;
  for (const { object } of objects) {
    for (const containers of podContainers(object)) {
      for (const container of containers) {
        if (container.image !== undefined && isImageOf(container.image, repository)) {
          container.image = image;
          changed++;
        }
      }
    }
  }
  return changed;
}
