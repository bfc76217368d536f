/**
 * The test workflow runner on its own: how it picks jobs by their real `if:`, carries step outputs
 * between `run:` steps, and refuses what it cannot run with a message naming it — so the
 * end-to-end test fails loudly when a starter workflow outgrows it.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runWorkflow, type WorkflowContext } from '../support/workflow-runner.ts';

const dir = mkdtempSync(join(tmpdir(), 'rollgate-workflows-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let count = 0;
function workflowFile(text: string): string {
  const path = join(dir, `workflow-${++count}.yml`);
  writeFileSync(path, text);
  return path;
}

function context(task: string): WorkflowContext {
  return {
    event: {
      name: 'deployment',
      payload: { deployment: { task, environment: 'staging' }, repository: { name: 'Hello-Service' } },
    },
    repository: 'Octo-Org/Hello-Service',
    sha: 'ffac537e6cbbf934b08745a378932722df287a53',
    ref: '',
    actor: 'rollgate[bot]',
    token: 'workflow-token',
    apiUrl: 'http://127.0.0.1:1',
    secrets: { KUBECONFIG: 'kubeconfig-secret' },
    vars: { REGISTRY: 'ghcr.io' },
  };
}

const TWO_JOBS = `on: deployment
jobs:
  deploy:
    if: github.event.deployment.task == 'deploy'
    runs-on: ubuntu-latest
    environment: \${{ github.event.deployment.environment }}
    steps:
      - id: image
        run: echo "name=\${{ vars.REGISTRY }}/$(echo "$GITHUB_REPOSITORY" | tr '[:upper:]' '[:lower:]')" >> "$GITHUB_OUTPUT"
        shell: sh
      - id: show
        env:
          IMAGE: \${{ steps.image.outputs.name }}
        run: |
          echo "image=$IMAGE" >> "$GITHUB_OUTPUT"
          echo "secret-length=\${{ secrets.KUBECONFIG != '' }}" >> "$GITHUB_OUTPUT"
  rollback:
    if: \${{ github.event.deployment.task == 'deploy:rollback' }}
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
      - run: echo never
      - if: failure()
        id: report
        run: echo "seen=yes" >> "$GITHUB_OUTPUT"
`;

describe('the test workflow runner', () => {
  test("runs the job whose if: holds, and a run: step's output feeds the next step", async () => {
    const run = await runWorkflow(workflowFile(TWO_JOBS), context('deploy'));
    expect(run.jobs.map((j) => [j.id, j.ran, j.conclusion])).toEqual([
      ['deploy', true, 'success'],
      ['rollback', false, 'skipped'],
    ]);
    expect(run.jobs[0]?.environment).toBe('staging');
    expect(run.jobs[0]?.steps.map((s) => s.outputs)).toEqual([
      { name: 'ghcr.io/octo-org/hello-service' },
      { image: 'ghcr.io/octo-org/hello-service', 'secret-length': 'true' },
    ]);
  });

  test('a failing step fails the job: later steps are skipped unless their if: asks for failure()', async () => {
    const run = await runWorkflow(workflowFile(TWO_JOBS), context('deploy:rollback'));
    expect(run.jobs.map((j) => [j.id, j.ran, j.conclusion])).toEqual([
      ['deploy', false, 'skipped'],
      ['rollback', true, 'failure'],
    ]);
    expect(run.jobs[1]?.steps.map((s) => s.outcome)).toEqual(['failure', 'skipped', 'success']);
    expect(run.jobs[1]?.steps[2]?.outputs).toEqual({ seen: 'yes' });
  });

  test.each([
    [
      'an action of another repository',
      `on: deployment
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
`,
      /'uses: actions\/checkout@v4' is not one of this repository's actions/,
    ],
    [
      'a job graph',
      `on: deployment
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: true
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: true
`,
      /jobs\.deploy: 'needs' is not supported by the test workflow runner/,
    ],
    [
      'an input the action does not declare',
      `on: deployment
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: acme/rollgate/actions/rollback@v1
        with:
          revison: '3'
`,
      /input 'revison' is not declared by actions\/rollback\/action\.yml/,
    ],
    [
      'a workflow that does not run on the event',
      `on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: true
`,
      /does not run on 'deployment'/,
    ],
    [
      'an invalid workflow',
      `on: deployment
jobs:
  deploy:
    runs-on: ubuntu-latest
    stepz: []
`,
      /is not a valid workflow/,
    ],
  ])('refuses %s with a message naming it', async (_, text, message) => {
    await expect(runWorkflow(workflowFile(text), context('deploy'))).rejects.toThrow(message);
  });
});
