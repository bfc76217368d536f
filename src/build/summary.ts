import { formatDuration } from '../inputs/duration.ts';
import type { BuildRecord } from './run.ts';

const SOURCES: Record<BuildRecord['versionSource'], string> = {
  input: "the 'version' input",
  tag: 'the pushed tag',
  'package.json': 'package.json and the commit',
  default: '0.0.0 and the commit (no package.json)',
};

/** The job summary: version and where it came from, each command with its time, the image and digest. */
export function renderBuildSummary(record: BuildRecord): string {
  const lines = [
    record.status === 'success' ? `### ✅ Build ${record.version}` : `### ❌ Build ${record.version} failed`,
    '',
    `Version **${record.version}** from ${SOURCES[record.versionSource]} · commit \`${record.sha.slice(0, 7)}\` · ${formatDuration(record.durationMs)}`,
    '',
  ];
  if (record.commands.length > 0) {
    lines.push('| Command | Result | Time |', '|---|---|---:|');
    for (const c of record.commands) {
      lines.push(
        `| \`${c.command.replaceAll('|', '\\|').replaceAll('`', "'")}\` | ${c.exitCode === 0 ? '✅' : `❌ exit ${c.exitCode}`} | ${formatDuration(c.durationMs)} |`,
      );
    }
    lines.push('');
  }
  if (record.docker !== undefined) {
    lines.push(
      `**Image** ${record.pushed ? 'pushed' : 'built'} in ${formatDuration(record.docker.durationMs)}${record.docker.exitCode === 0 ? '' : ` — ❌ exit ${record.docker.exitCode}`}:`,
      '',
      ...record.tags.map((tag) => `- \`${tag}\``),
      ...(record.digest === undefined ? [] : ['', `Digest \`${record.digest}\``]),
      '',
    );
  }
  return lines.join('\n');
}
