import { formatDuration } from '../inputs/duration.ts';
import { describePodFailure } from '../kubernetes/pod-failures.ts';
import type { DeployOutcome } from './run.ts';

const TITLES: Record<DeployOutcome['status'], string> = {
  success: '✅ Deployed',
  failure: '❌ Deploy failed',
  'rolled-back': '↩️ Deploy failed and was rolled back',
};

/** The job summary: the timeline with durations, what changed, and on failure why and what runs now. */
export function renderDeploySummary(
  outcome: DeployOutcome,
  context: { environment: string; version: string; deploymentUrl: string | undefined },
): string {
  const lines = [`### ${TITLES[outcome.status]}: ${context.version} → ${context.environment}`, ''];
  const facts = [formatDuration(outcome.durationMs)];
  if (outcome.revision !== undefined)
    facts.push(
      `revision ${outcome.revision}${outcome.previousRevision === undefined ? '' : ` (was ${outcome.previousRevision})`}`,
    );
  if (outcome.environmentUrl) facts.push(`[${outcome.environmentUrl}](${outcome.environmentUrl})`);
  if (context.deploymentUrl) facts.push(`[GitHub Deployment](${context.deploymentUrl})`);
  lines.push(facts.join(' · '), '');
  lines.push('| Step | At | Took | Detail |', '|---|---:|---:|---|');
  outcome.timeline.forEach((entry, index) => {
    const previous = index === 0 ? 0 : (outcome.timeline[index - 1]?.atMs ?? 0);
    lines.push(
      `| ${entry.step} | ${formatDuration(entry.atMs)} | ${index === 0 ? '—' : formatDuration(entry.atMs - previous)} | ${cell(entry.detail)} |`,
    );
  });
  lines.push('');
  const images = outcome.deployments.flatMap((d) =>
    d.changes.map((c) => `| ${d.name} | ${c.container} | \`${c.from}\` | \`${c.to}\` |`),
  );
  if (images.length > 0)
    lines.push('| Deployment | Container | Was | Now |', '|---|---|---|---|', ...images, '');
  if (outcome.failure !== undefined) {
    lines.push(`**What failed:** ${outcome.failure}`, '');
    if (outcome.podFailures.length > 0) {
      lines.push(
        '**Pods:**',
        '',
        ...outcome.podFailures.slice(0, 10).map((f) => `- ${describePodFailure(f)}`),
        '',
      );
    }
    lines.push(
      outcome.reverted !== undefined
        ? `**Now running:** ${outcome.reverted}.`
        : '**Not rolled back:** auto-rollback is off, nothing live had changed, or there was no earlier revision.',
      '',
    );
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}
