/**
 * A deploy request held by its gates, as people see it: the check run `rollgate / <env>` on the
 * commit, in progress with the gates' checklist while it waits, then concluded — rejected, or
 * carried out (the Deployment's own check run takes over from there). Found again by its
 * `external_id` (`request:<comment id>`), so a repeat or another replica updates the same run.
 */
import { checkRunName } from '../../src/github/check-runs.ts';
import { cleanValue, code, mention } from '../../src/github/markdown.ts';
import { checklistMarkdown, type Verdict } from '../../src/gates/index.ts';
import type { RequestRecord } from './gate-records.ts';
import { byThisApp, type GitHubIo } from './github-io.ts';
import { reconciledWrite } from './reconciled-write.ts';

export type RequestState =
  | { readonly kind: 'waiting'; readonly verdict: Verdict }
  | { readonly kind: 'rejected'; readonly verdict: Verdict }
  | { readonly kind: 'carried-out'; readonly deploymentId: number };

const externalId = (request: RequestRecord): string => `request:${request.comment}`;

function output(request: RequestRecord, state: RequestState): { title: string; summary: string } {
  const asked = `${code(request.version)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)}, asked by ${mention(request.requester)} in #${request.pull}.`;
  const version = cleanValue(request.version, 64);
  switch (state.kind) {
    case 'waiting':
      return {
        title: `${version} → ${request.environment}: waiting for its gates`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}\n\nEligible approvers comment \`/approve ${request.environment}\` on #${request.pull}; the Deployment is created when the last gate passes.`,
      };
    case 'rejected':
      return {
        title: `${version} → ${request.environment}: rejected`,
        summary: `${asked}\n\n${checklistMarkdown(state.verdict)}`,
      };
    case 'carried-out':
      return {
        title: `${version} → ${request.environment}: gates passed`,
        summary: `${asked}\n\nEvery gate passed: Deployment #${state.deploymentId} was created, and its own check run follows it.`,
      };
  }
}

/** Creates or updates the request's check run to show `state`. */
export async function showRequest(io: GitHubIo, request: RequestRecord, state: RequestState): Promise<void> {
  const name = checkRunName(request.environment);
  const find = async (): Promise<number | undefined> => {
    const { data } = await io.octokit.rest.checks.listForRef({
      ...io.repo,
      ref: request.sha,
      check_name: name,
      filter: 'all',
    });
    return data.check_runs.find((r) => r.external_id === externalId(request) && byThisApp(io, r.app))?.id;
  };
  const fields =
    state.kind === 'waiting'
      ? { status: 'in_progress' as const }
      : {
          status: 'completed' as const,
          conclusion: state.kind === 'rejected' ? ('failure' as const) : ('success' as const),
        };
  const existing = await find();
  if (existing !== undefined) {
    await io.octokit.rest.checks.update({
      ...io.repo,
      check_run_id: existing,
      ...fields,
      output: output(request, state),
    });
    return;
  }
  await reconciledWrite(
    async () =>
      (
        await io.octokit.rest.checks.create({
          ...io.repo,
          name,
          head_sha: request.sha,
          external_id: externalId(request),
          ...fields,
          output: output(request, state),
        })
      ).data.id,
    find,
  );
}
