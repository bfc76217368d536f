import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { imageTags } from '../../src/build/docker.ts';
import { parseImageReference } from '../../src/kubernetes/image.ts';
import { repositoryRoot } from '../support/runner.ts';
import { checkWorkflow, parserProblems, propertiesProblems } from '../support/workflow-lint.ts';
import {
  deploymentEvent,
  github,
  HEAD_SHA,
  inputsOf,
  MERGE_SHA,
  pullRequest,
  workflowOf,
} from '../support/workflow-steps.ts';

const folder = join(repositoryRoot, 'workflows-templates');
const templates = readdirSync(folder)
  .filter((file) => file.endsWith('.yml'))
  .sort();
const textOf = (file: string): string => readFileSync(join(folder, file), 'utf8');

/** Where `.properties.json` goes beside a template, as GitHub looks for it. */
const propertiesOf = (file: string): string => file.replace(/\.yml$/, '.properties.json');

describe('starter workflows', () => {
  test('there are templates for CI to production, pull-request images, deployment events and manual rollback', () => {
    expect(templates).toEqual([
      'rollgate-ci-cd.yml',
      'rollgate-deploy-on-event.yml',
      'rollgate-pull-request-images.yml',
      'rollgate-rollback.yml',
    ]);
  });

  test.each(templates)(
    '%s parses with GitHub’s workflow parser, lints clean with actionlint, and gives Rollgate’s actions only inputs they declare',
    async (file) => {
      expect(await checkWorkflow({ file: `workflows-templates/${file}`, text: textOf(file) })).toEqual([]);
    },
  );

  test.each(templates)(
    '%s has a .properties.json with name, description, iconName, categories and filePatterns that are regular expressions',
    (file) => {
      expect(
        propertiesProblems(
          `workflows-templates/${propertiesOf(file)}`,
          readFileSync(join(folder, propertiesOf(file)), 'utf8'),
        ),
      ).toEqual([]);
    },
  );

  test.each(templates)(
    '%s names the default branch as $default-branch, never a fixed branch name',
    (file) => {
      const fixed = textOf(file)
        .split('\n')
        .map((line, index) => ({ line, number: index + 1 }))
        .filter(({ line }) => /^\s*branches:/.test(line) && !/\[\s*\$default-branch\s*\]/.test(line))
        .map(
          ({ number, line }) =>
            `workflows-templates/${file}:${number}: ${line.trim()} (write [$default-branch])`,
        );
      expect(fixed).toEqual([]);
    },
  );

  test.each(templates)(
    '%s hands GitHub values to run: scripts through env, never as ${{ }} inside the script',
    (file) => {
      const injected = Object.entries(workflowOf(file).jobs).flatMap(([name, job]) =>
        job.steps
          .filter((step) => step.run?.includes('${{') === true)
          .map((step) => `workflows-templates/${file}: job ${name}, step ${step.id ?? '?'}`),
      );
      expect(injected).toEqual([]);
    },
  );

  test('a pull request’s head commit gets the image the deploy-on-event workflow rolls out for a Deployment of that commit', () => {
    const images = workflowOf('rollgate-pull-request-images.yml');
    const built = inputsOf(
      images.jobs.image!,
      'OWNER/rollgate/actions/build@',
      pullRequest('Acme-Corp/Shop-API'),
      'image job',
    );
    expect(built.inputs.image).toBe('ghcr.io/acme-corp/shop-api');
    expect(built.inputs.push).toBe('true');
    // The build action tags from GITHUB_SHA, which is the merge commit on pull_request; the
    // template's extra tag is the head's.
    const tags = imageTags(built.inputs.image!, built.inputs.version!, MERGE_SHA, [built.inputs.tags!]);
    expect(tags).toContain(`ghcr.io/acme-corp/shop-api:sha-${HEAD_SHA.slice(0, 7)}`);

    const events = workflowOf('rollgate-deploy-on-event.yml');
    const deployed = inputsOf(
      events.jobs.deploy!,
      'OWNER/rollgate@',
      deploymentEvent('deploy', 'staging'),
      'deploy job',
    );
    // No tag: the deploy action then takes the deployment's sha-<short sha> (actions/deploy/action.yml, 'image').
    const reference = parseImageReference('image', deployed.inputs.image!);
    expect(reference).toMatchObject({ tag: undefined, digest: undefined });
    expect(tags).toContain(`${deployed.inputs.image}:sha-${HEAD_SHA.slice(0, 7)}`);
    // The checkout is of the head commit, so the image holds the code the Deployment names.
    expect(images.jobs.image!.steps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with).toEqual(
      {
        ref: '${{ github.event.pull_request.head.sha }}',
      },
    );
  });

  test('a pull request from a fork, or from Dependabot, is built without logging in or pushing', () => {
    const job = workflowOf('rollgate-pull-request-images.yml').jobs.image!;
    for (const context of [
      pullRequest('mallory/Shop-API'),
      pullRequest('Acme-Corp/Shop-API', 'dependabot[bot]'),
    ]) {
      const { inputs, outputs } = inputsOf(job, 'OWNER/rollgate/actions/build@', context, 'image job');
      expect(inputs.push).toBe('false');
      expect(outputs.names?.push).toBe('false');
    }
    const login = job.steps.find((step) => step.uses?.startsWith('docker/login-action@'));
    expect(login?.if).toBe("steps.names.outputs.push == 'true'");
  });

  test('the pull-request workflow runs for opened, synchronized and reopened pull requests to the default branch', () => {
    expect(workflowOf('rollgate-pull-request-images.yml').on).toEqual({
      pull_request: { types: ['opened', 'synchronize', 'reopened'], branches: ['$default-branch'] },
    });
  });

  test('deployment events: task deploy goes to the deploy job, deploy:rollback to the rollback job, each one step of Rollgate’s actions', () => {
    const workflow = workflowOf('rollgate-deploy-on-event.yml');
    expect(workflow.on).toBe('deployment');
    const summary = Object.fromEntries(
      Object.entries(workflow.jobs).map(([name, job]) => [
        name,
        {
          if: job.if,
          environment: job.environment,
          uses: job.steps.filter((step) => step.uses !== undefined).map((step) => step.uses),
          runs: job.steps.filter((step) => step.run !== undefined).length,
        },
      ]),
    );
    expect(summary).toEqual({
      deploy: {
        if: "github.event.deployment.task == 'deploy'",
        environment: '${{ github.event.deployment.environment }}',
        uses: ['OWNER/rollgate@v1'],
        runs: 1,
      },
      rollback: {
        if: "github.event.deployment.task == 'deploy:rollback'",
        environment: '${{ github.event.deployment.environment }}',
        uses: ['OWNER/rollgate/actions/rollback@v1'],
        runs: 1,
      },
    });
    const rollback = inputsOf(
      workflow.jobs.rollback!,
      'OWNER/rollgate/actions/rollback@',
      deploymentEvent('deploy:rollback', 'Production'),
      'rollback job',
    );
    expect(rollback.inputs).toEqual({
      namespace: 'production',
      deployment: 'shop-api',
      kubeconfig: 'apiVersion: v1',
    });
  });

  test('a repository and an environment with capitals get lower-case image, Deployment and namespace names', () => {
    const events = workflowOf('rollgate-deploy-on-event.yml');
    expect(
      inputsOf(events.jobs.deploy!, 'OWNER/rollgate@', deploymentEvent('deploy', 'Production'), 'deploy job')
        .inputs,
    ).toEqual({
      namespace: 'production',
      deployment: 'shop-api',
      image: 'ghcr.io/acme-corp/shop-api',
      kubeconfig: 'apiVersion: v1',
      'environment-url': 'https://shop.example.com',
      url: 'https://shop.example.com/healthz',
    });
    const ci = workflowOf('rollgate-ci-cd.yml');
    const build = inputsOf(
      ci.jobs.build!,
      'OWNER/rollgate/actions/build@',
      github({}, { sha: HEAD_SHA }),
      'build job',
    );
    expect(build.inputs.image).toBe('ghcr.io/acme-corp/shop-api');
    expect(build.outputs.names?.deployment).toBe('shop-api');
    const manual = workflowOf('rollgate-rollback.yml');
    const rollback = inputsOf(
      manual.jobs.rollback!,
      'OWNER/rollgate/actions/rollback@',
      { ...github({}), inputs: { environment: 'production', 'to-version': '1.4.0', reason: 'bad release' } },
      'rollback job',
    );
    expect(rollback.inputs).toMatchObject({
      namespace: 'production',
      deployment: 'shop-api',
      'to-version': '1.4.0',
    });
  });

  test('CI/CD builds, deploys to staging with a health check, then production in a job with environment: production', () => {
    const { jobs, on } = workflowOf('rollgate-ci-cd.yml');
    expect(on).toEqual({ push: { branches: ['$default-branch'] } });
    expect(Object.keys(jobs)).toEqual(['build', 'staging', 'production']);
    expect(jobs.staging!.needs).toBe('build');
    expect(jobs.production!.needs).toEqual(['build', 'staging']);
    expect(jobs.production!.environment).toMatchObject({ name: 'production' });
    for (const name of ['staging', 'production'] as const) {
      const step = jobs[name]!.steps.find((s) => s.uses === 'OWNER/rollgate@v1');
      expect(step?.with).toMatchObject({
        image: '${{ needs.build.outputs.image }}',
        url: expect.stringMatching(/^https:\/\/.+\/healthz$/) as unknown,
      });
    }
  });
});

describe('the template checks fail, naming file and line', () => {
  test('a job reading needs.build without needs:', async () => {
    const text = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    outputs: { version: "1" }',
      '    steps: [{ run: "true" }]',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "${{ needs.build.outputs.version }}"',
    ].join('\n');
    const problems = await checkWorkflow({ file: 'x.yml', text });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/^x\.yml:10:\d+: \[actionlint expression\] .*build/)]),
    );
  });

  test('a workflow without on:, by GitHub’s parser', async () => {
    const problems = await checkWorkflow({
      file: 'x.yml',
      text: 'jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: "true" }]\n',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^x\.yml:1:1: \[workflow-parser\] Required property is missing: on/),
      ]),
    );
  });

  test('a job needing a job that does not exist, and a bad cron, by GitHub’s parser', async () => {
    const text = [
      'on:',
      '  schedule:',
      "    - cron: '99 * * * *'",
      'jobs:',
      '  a:',
      '    needs: [buidl]',
      '    runs-on: ubuntu-latest',
      '    steps: [{ run: "true" }]',
      '  b:',
      '    runs-on: ubuntu-latest',
      '    steps: [{ run: "true" }]',
    ].join('\n');
    const problems = await parserProblems({ file: 'x.yml', text });
    expect(problems).toEqual([
      "x.yml:3:13: [workflow-parser] Invalid cron expression. Expected format: '* * * * *' (minute hour day month weekday)",
      "x.yml:6:13: [workflow-parser] Job 'a' depends on unknown job 'buidl'.",
    ]);
  });

  test('an input the action does not declare, a missing required input, an output it does not have, and a wrong spelling', async () => {
    const text = [
      'on: workflow_dispatch',
      'permissions: { contents: read, deployments: write }',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - id: back',
      '        uses: OWNER/rollgate/actions/rollback@v1',
      '        with:',
      '          namespace: shop',
      '          health-url: https://example.com',
      '      - run: echo "${{ steps.back.outputs.version }}"',
      '      - uses: OWNER/rollgate/actions/launch@v1',
      '      - uses: acme/rollgate@main',
    ].join('\n');
    expect(await checkWorkflow({ file: 'x.yml', text })).toEqual([
      "x.yml:11:11: [rollgate actions] OWNER/rollgate/actions/rollback@v1 has no input 'health-url' (actions/rollback/action.yml declares environment, namespace, deployment, to-revision, to-version, reason, timeout, kubeconfig, token)",
      "x.yml:8:15: [rollgate actions] OWNER/rollgate/actions/rollback@v1 needs the input 'deployment' (required in actions/rollback/action.yml, no default)",
      "x.yml:13:15: [rollgate actions] 'OWNER/rollgate/actions/launch@v1' names actions/launch/action.yml, which does not exist in this repository",
      "x.yml:14:15: [rollgate actions] 'acme/rollgate@main' is not how this repository's actions are written: use OWNER/rollgate@v1 or OWNER/rollgate/actions/<name>@v1",
      "x.yml:12:14: [rollgate actions] step 'back' (actions/rollback/action.yml) has no output 'version': it declares revision, rolled-back-to, deployment-id, duration-ms",
    ]);
  });

  test('a deploy whose token may not read the gates’ facts', async () => {
    const text = [
      'on: push',
      'permissions: { contents: read, deployments: write }',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: OWNER/rollgate@v1',
      '        with: { image: ghcr.io/acme/api:1.0.0, deployment: api }',
    ].join('\n');
    expect(await checkWorkflow({ file: 'x.yml', text })).toEqual([
      "x.yml:2:14: [rollgate actions] job 'a' runs OWNER/rollgate@v1 but its permissions lack checks: read, statuses: read",
    ]);
  });

  test('an image named from a context that keeps capitals', async () => {
    const text = [
      'on: push',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: OWNER/rollgate/actions/build@v1',
      '        with:',
      '          image: ghcr.io/${{ github.repository }}',
    ].join('\n');
    expect(await checkWorkflow({ file: 'x.yml', text })).toEqual([
      expect.stringMatching(
        /^x\.yml:8:18: \[rollgate actions\] image 'ghcr\.io\/\$\{\{ github\.repository \}\}' is refused when the owner or the repository name holds capitals/,
      ),
    ]);
  });

  test('a .properties.json without a name, with a bad regular expression, or a pattern with a folder', () => {
    const text =
      '{\n  "description": "x",\n  "iconName": "octicon rocket",\n  "categories": ["Deployment"],\n  "filePatterns": ["(Dockerfile", ".github/rollgate.yml"]\n}\n';
    expect(propertiesProblems('p.json', text)).toEqual([
      "p.json:1: 'name' must be a non-empty string",
      "p.json:5: filePatterns '(Dockerfile' is not a regular expression: Invalid regular expression: /(Dockerfile/: Unterminated group",
      "p.json:5: filePatterns '.github/rollgate.yml' can never match: GitHub matches them against file names in the repository's root",
    ]);
  });
});
