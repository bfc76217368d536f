import { runRollback } from '../../src/deploy/rollback-run.ts';
import { InputError, RollgateError } from '../../src/errors.ts';
import { parseDeploymentEvent } from '../../src/github/deployment-event.ts';
import { formatDuration, parseDuration } from '../../src/inputs/duration.ts';
import { parseInteger, splitLines } from '../../src/inputs/scalars.ts';
import { connectFromInput } from '../cluster-connection.ts';
import { connectGitHub } from '../github-client.ts';
import * as core from '../runner-io.ts';

void core.runAction(async () => {
  const raw = core.readInputs([
    'environment',
    'namespace',
    'deployment',
    'to-revision',
    'to-version',
    'reason',
    'timeout',
    'kubeconfig',
    'token',
  ]);
  if (raw.token !== '') core.setSecret(raw.token);
  const env = process.env;
  const event = parseDeploymentEvent(env.GITHUB_EVENT_NAME ?? '', core.readEventPayload(env));
  const environment = raw.environment || event?.environment || '';
  if (environment === '')
    throw new InputError(
      'environment',
      'no environment was given',
      `Set 'environment', or run on a deployment event, which names it.`,
    );
  const deployments = splitLines(raw.deployment);
  if (deployments.length === 0)
    throw new InputError(
      'deployment',
      'no workload was named',
      `Name the Deployment(s) to roll back, one per line (statefulset/NAME or daemonset/NAME for those kinds).`,
    );
  const payloadVersion = typeof event?.payload.version === 'string' ? event.payload.version : '';
  const version = raw['to-version'] || (event?.task === 'deploy:rollback' ? payloadVersion : '');
  const revision = raw['to-revision'] === '' ? 0 : parseInteger('to-revision', raw['to-revision'], 0);
  if (version !== '' && revision !== 0)
    throw new InputError(
      'to-version',
      `both to-version (${version}) and to-revision (${revision}) are set`,
      'Set one of them, or neither for the previous revision.',
    );
  const timeoutMs = parseDuration('timeout', raw.timeout || '60s');

  const cluster = await connectFromInput(raw.kubeconfig);
  const github = raw.token === '' ? undefined : await connectGitHub(raw.token, env);
  const runUrl = core.workflowRunUrl(env);
  const outcome = await runRollback(
    {
      environment,
      namespace: raw.namespace || 'default',
      deployments,
      target: {
        revision: revision === 0 ? undefined : revision,
        version: version === '' ? undefined : version,
      },
      reason: raw.reason,
      timeoutMs,
    },
    {
      sha: event?.sha || env.GITHUB_SHA || '',
      runUrl,
      actor: env.GITHUB_ACTOR,
      event: event?.task === 'deploy:rollback' ? event : undefined,
    },
    { cluster, github, now: () => performance.now(), log: core.info },
  );

  core.setOutput('revision', outcome.revision ?? '');
  core.setOutput('rolled-back-to', outcome.rolledBackTo);
  core.setOutput('deployment-id', outcome.deploymentId ?? '');
  core.setOutput('duration-ms', outcome.durationMs);
  core.appendSummary(
    [
      outcome.failure === undefined
        ? `### ↩️ Rolled back ${environment} to ${outcome.rolledBackTo}`
        : `### ❌ Rollback of ${environment} failed`,
      '',
      `${formatDuration(outcome.durationMs)}${raw.reason ? ` · reason: ${raw.reason}` : ''}`,
      '',
      '| Deployment | From revision | To revision | Version | Result |',
      '|---|---:|---:|---|---|',
      ...outcome.results.map(
        (r, i) =>
          `| ${deployments[i] ?? ''} | ${r.fromRevision ?? '—'} | ${r.toRevision} | ${r.version ?? '—'} | ${r.kind === 'skipped' ? r.message : 'rolled back'} |`,
      ),
      '',
      ...(outcome.failure === undefined ? [] : [`**What failed:** ${outcome.failure}`, '']),
    ].join('\n'),
  );
  if (outcome.failure !== undefined)
    throw new RollgateError(
      `Rolling back ${environment} failed: ${outcome.failure}`,
      '',
      'See the job summary; the cluster may run a mix of versions until a rollback succeeds.',
    );
  core.info(`Rolled back ${environment} to ${outcome.rolledBackTo}.`);
});
