import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repositoryRoot } from '../support/runner.ts';

const folder = join(repositoryRoot, 'workflows-templates');
const templates = readdirSync(folder).filter((file) => file.endsWith('.yml'));

type Step = { uses?: string; with?: Record<string, unknown> };
type Workflow = {
  name?: string;
  on?: unknown;
  jobs?: Record<string, { steps?: Step[]; 'runs-on'?: string }>;
};
type ActionManifest = { inputs?: Record<string, { required?: boolean; default?: unknown }> };

/** The action.yml a `uses: OWNER/rollgate[/actions/<name>]@v1` refers to. */
function actionOf(uses: string): ActionManifest {
  const path = /^OWNER\/rollgate(?:\/(actions\/[a-z-]+))?@v1$/.exec(uses)?.[1];
  const file = join(repositoryRoot, path ?? '', 'action.yml');
  if (!existsSync(file)) throw new Error(`${uses} names no action of this repository`);
  return parse(readFileSync(file, 'utf8')) as ActionManifest;
}

describe('starter workflows', () => {
  test('there are templates for CI to production, deployment events and manual rollback', () => {
    expect(templates.sort()).toEqual([
      'rollgate-ci-cd.yml',
      'rollgate-deploy-on-event.yml',
      'rollgate-rollback.yml',
    ]);
  });

  test.each(templates)('%s has a .properties.json with a name and a description', (file) => {
    const properties = JSON.parse(
      readFileSync(join(folder, file.replace(/\.yml$/, '.properties.json')), 'utf8'),
    ) as Record<string, unknown>;
    expect(typeof properties.name).toBe('string');
    expect(typeof properties.description).toBe('string');
  });

  test.each(templates)(
    '%s is a workflow whose Rollgate steps use only inputs the actions declare',
    (file) => {
      const workflow = parse(readFileSync(join(folder, file), 'utf8')) as Workflow;
      expect(workflow.name).toBeDefined();
      expect(workflow.on).toBeDefined();
      const steps = Object.values(workflow.jobs ?? {}).flatMap((job) => job.steps ?? []);
      const rollgateSteps = steps.filter((step) => step.uses?.startsWith('OWNER/rollgate'));
      expect(rollgateSteps.length).toBeGreaterThan(0);
      for (const step of rollgateSteps) {
        const manifest = actionOf(step.uses ?? '');
        const declared = Object.keys(manifest.inputs ?? {});
        for (const input of Object.keys(step.with ?? {})) expect(declared).toContain(input);
        const required = Object.entries(manifest.inputs ?? {}).filter(
          ([, spec]) => spec.required === true && spec.default === undefined,
        );
        for (const [input] of required) expect(Object.keys(step.with ?? {})).toContain(input);
      }
      // Only this repository's actions and GitHub's own well-known ones.
      for (const step of steps)
        if (step.uses)
          expect(step.uses).toMatch(/^(OWNER\/rollgate|actions\/checkout@|docker\/login-action@)/);
    },
  );
});
