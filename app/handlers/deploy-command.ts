import type { Command } from '../commands/parse.ts';
import { checkRunName } from '../../src/github/check-runs.ts';
import { code, mention } from '../../src/github/markdown.ts';
import type { TargetFacts } from '../decisions/deploy.ts';
import { degradedNote, deployThroughGates, gateFactsOf, type DeploymentOutcome } from './deployment-plan.ts';
import type { GitHubIo } from './github-io.ts';
import type { CommandResult, CommandRun } from './command-run.ts';
import { checklistMarkdown, type Verdict } from '../../src/gates/index.ts';
import { readGateRecords, requestMarker, type RequestRecord } from './gate-records.ts';
import { showRequest } from './pending-request.ts';
import { deferRequest } from '../../src/github/deferred-refs.ts';
import { wakeAt } from '../deferred/wake.ts';

/**
 * `/deploy <env> [<ref>] [--dry-run] [key=value ...]`: the gates (environment, pull request, fork,
 * lock, marker, checks) decide over facts read first; then the marker, the Deployment of the
 * commit (never a branch name, so a later push is not what gets deployed), the check run and the
 * sticky comment's row. Of simultaneous requests for one environment exactly one proceeds: the
 * marker is a ref GitHub creates only once.
 */
export async function deployCommand(
  run: CommandRun,
  command: Extract<Command, { kind: 'deploy' }>,
): Promise<CommandResult> {
  const { target, branch } = await resolveTarget(run, command.ref);
  const sha = 'sha' in target ? (target.sha ?? run.pull.headSha) : run.pull.headSha;
  const version = command.params.version ?? command.ref ?? sha.slice(0, 7);
  const environment = run.config.environments.get(command.environment);
  // Approvals are read from this App's replies on the pull request, only where they are needed.
  const records =
    environment !== undefined && environment.requires.approvals > 0
      ? await readGateRecords(run.io, run.pull.number)
      : undefined;
  const outcome = await deployThroughGates(
    run.io,
    run.config,
    {
      environment: command.environment,
      task: 'deploy',
      version,
      requester: run.user,
      owner: { kind: 'comment', id: run.commentId },
      pullNumber: run.pull.number,
      payload: {
        version,
        requester: run.user,
        pull_request: run.pull.number,
        params: command.params,
        comment_url: run.commentUrl,
      },
      description: `${version} to ${command.environment} for @${run.user} (#${run.pull.number})`,
      resume: run.resume,
      gated: { records, branch },
    },
    gateFactsOf(run.config, run.environments, {
      environmentName: command.environment,
      requester: run.user,
      owner: { kind: 'comment', id: run.commentId },
      pull: run.pull,
      target,
      dryRun: command.dryRun,
    }),
  );
  if (outcome.kind === 'pending' || outcome.kind === 'deferred') {
    const request: RequestRecord = {
      environment: command.environment,
      sha: outcome.sha,
      version,
      requester: run.user,
      comment: run.commentId,
      pull: run.pull.number,
      params: command.params,
      commentUrl: run.commentUrl,
      branch,
    };
    return outcome.kind === 'pending'
      ? pendingAnswer(run.io, request, outcome.verdict)
      : deferredAnswer(run.io, request, outcome.verdict, outcome.opensAt);
  }
  return deployAnswer(run, command.environment, version, outcome);
}

/** The waiting request's check run; when it cannot be made, the words the reply adds (the request stands). */
async function showWaiting(io: GitHubIo, request: RequestRecord, verdict: Verdict): Promise<string> {
  try {
    await showRequest(io, request, { kind: 'waiting', verdict });
    return '';
  } catch (error) {
    io.log.warn({ err: error }, 'the check run of a waiting request was not created');
    return `\n\n⚠️ The check ${code(checkRunName(request.environment))} could not be created; the request stands all the same.`;
  }
}

/**
 * A request that only a window or a freeze holds: its check run, a deferred ref that any replica's
 * sweep finds (app/deferred/sweep.ts), and a reply that says when it goes out by itself.
 */
export async function deferredAnswer(
  io: GitHubIo,
  request: RequestRecord,
  verdict: Verdict,
  opensAt: Date,
  lead = '',
): Promise<CommandResult> {
  const { data: commit } = await io.octokit.rest.git.getCommit({ ...io.repo, commit_sha: request.sha });
  await deferRequest(
    io.git,
    io.repo,
    {
      environment: request.environment,
      pull: request.pull,
      comment: request.comment,
      sha: request.sha,
      opensAt: opensAt.toISOString(),
    },
    commit.tree.sha,
  );
  wakeAt(opensAt.getTime());
  const degraded = await showWaiting(io, request, verdict);
  return {
    ok: true,
    message: `${lead}${code(request.version)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)} waits for its window, and nothing was created yet:\n\n${checklistMarkdown(verdict)}\n\nRollgate deploys it by itself at ${opensAt.toISOString()}, if the gates still pass then. A push to this pull request, or \`/reject ${request.environment}\` by an approver, cancels it.${degraded}`,
    records: requestMarker(request),
  };
}

/** A request that waits for approvals: its check run, and a reply that carries its record. */
export async function pendingAnswer(
  io: GitHubIo,
  request: RequestRecord,
  verdict: Verdict,
  lead = '',
): Promise<CommandResult> {
  const degraded = await showWaiting(io, request, verdict);
  return {
    ok: true,
    message: `${lead}${code(request.version)} (\`${request.sha.slice(0, 7)}\`) to ${code(request.environment)} waits for its gates, and nothing was created yet:\n\n${checklistMarkdown(verdict)}\n\nEligible approvers comment \`/approve ${request.environment}\` (or \`/reject ${request.environment} <reason>\`) here; the Deployment is created as soon as the last gate passes. A push to this pull request invalidates the approvals.${degraded}`,
    records: requestMarker(request),
  };
}

export function deployAnswer(
  run: Pick<CommandRun, 'context' | 'user'>,
  environment: string,
  version: string,
  outcome: DeploymentOutcome,
): CommandResult {
  if (outcome.kind === 'refused') return { ok: false, message: outcome.message };
  if (outcome.kind === 'dry-run') {
    return {
      ok: true,
      message: `Dry run: ${code(outcome.sha.slice(0, 7))} (${code(version)}) would be deployed to ${code(environment)}${outcome.production ? ' (production)' : ''}. Nothing was created.${outcome.checklist === undefined ? '' : `\n\nIts gates:\n\n${outcome.checklist}`}`,
    };
  }
  if (outcome.kind === 'pending' || outcome.kind === 'deferred')
    throw new Error('a request that waits is answered by pendingAnswer or deferredAnswer');
  const { deployment, degraded } = outcome;
  const deploymentsUrl = `${run.context.payload.repository.html_url}/deployments`;
  const extra = degradedNote(degraded, 'deploy');
  return {
    ok: true,
    message: `Deploying ${code(version)} (\`${deployment.sha.slice(0, 7)}\`) to ${code(environment)} for ${mention(run.user)}: [Deployment #${deployment.id}](${deploymentsUrl}) created; the workflow on the \`deployment\` event takes it from here and the check ${code(checkRunName(environment))} follows it.${extra}`,
  };
}

/**
 * A fork's head that was committed after the comment: the commenter cannot have seen it. The
 * `issue_comment` payload carries no sha, so the head is read when the command is handled, and a
 * push in between would otherwise be deployed (a time-of-check to time-of-use race; github/branch-deploy
 * guards it the same way, https://github.com/github/branch-deploy/pull/315). The committer date is
 * set by whoever made the commit, so a backdated commit passes: naming the sha is exact, and the
 * reply and the Deployment always name the sha deployed. Only read when forks may deploy at all.
 */
async function pushedAfterComment(run: CommandRun): Promise<TargetFacts | undefined> {
  if (!run.config.commands.allowForks) return undefined;
  const commentedAt = run.commentedAt;
  const { data } = await run.io.octokit.rest.git.getCommit({ ...run.io.repo, commit_sha: run.pull.headSha });
  const committedAt = data.committer.date;
  return Date.parse(committedAt) > Date.parse(commentedAt)
    ? { kind: 'pushed-after-comment', sha: run.pull.headSha, committedAt, commentedAt }
    : undefined;
}

/**
 * Where `<ref>` points. A branch or tag of this repository, or a commit in the history of its
 * default branch or of this (non-fork) pull request's head, is this repository's; `refs/pull/…`
 * and any other commit may be a fork's, since forks share the object store with their parent
 * (https://docs.github.com/pull-requests/collaborating-with-pull-requests/working-with-forks/about-forks).
 */
async function resolveTarget(
  run: CommandRun,
  ref: string | undefined,
): Promise<{ target: TargetFacts; branch: string | undefined }> {
  if (ref === undefined) {
    return {
      target: run.pull.fromFork
        ? ((await pushedAfterComment(run)) ?? { kind: 'foreign-commit', sha: run.pull.headSha })
        : { kind: 'pull-head', sha: run.pull.headSha },
      branch: run.pull.headRef,
    };
  }
  return resolveRef(
    run.io,
    run.context.payload.repository.default_branch,
    ref,
    run.pull.fromFork ? undefined : run.pull.headSha,
  );
}

/**
 * Where a named `ref` points (the rules of `resolveTarget`), with `ownHead` the head of a
 * non-fork pull request whose history also counts as this repository's; the dashboard, which
 * has no pull request, passes none.
 */
export async function resolveRef(
  io: GitHubIo,
  defaultBranch: string,
  ref: string,
  ownHead: string | undefined,
): Promise<{ target: TargetFacts; branch: string | undefined }> {
  if (/^(refs\/)?pull\//.test(ref))
    return { target: { kind: 'pull-ref', sha: await commitOf(io, ref) }, branch: undefined };
  const named = await namedRef(io, ref);
  if (named !== undefined)
    return { target: { kind: 'repository-ref', sha: named.sha }, branch: named.branch };
  const sha = await commitOf(io, ref);
  if (sha === undefined) return { target: { kind: 'unknown' }, branch: undefined };
  const bases = [defaultBranch, ...(ownHead === undefined ? [] : [ownHead])];
  for (const base of bases)
    if (await isAncestor(io, sha, base))
      return { target: { kind: 'repository-commit', sha }, branch: undefined };
  return { target: { kind: 'foreign-commit', sha }, branch: undefined };
}

/** The commit of a branch or tag of this repository named `ref`, if there is one. */
async function namedRef(
  io: GitHubIo,
  ref: string,
): Promise<{ sha: string; branch: string | undefined } | undefined> {
  const name = ref.replace(/^refs\//, '');
  const candidates = /^(heads|tags)\//.test(name) ? [name] : [`heads/${name}`, `tags/${name}`];
  for (const candidate of candidates) {
    try {
      const { data } = await io.octokit.rest.git.getRef({ ...io.repo, ref: candidate });
      const branch = candidate.startsWith('heads/') ? candidate.slice('heads/'.length) : undefined;
      if (data.object.type === 'commit') return { sha: data.object.sha, branch };
      if (data.object.type === 'tag') {
        const { data: tag } = await io.octokit.rest.git.getTag({ ...io.repo, tag_sha: data.object.sha });
        return { sha: tag.object.sha, branch };
      }
    } catch (error) {
      if ((error as { status?: number }).status !== 404) throw error;
    }
  }
  return undefined;
}

async function commitOf(io: GitHubIo, ref: string): Promise<string | undefined> {
  try {
    const { data } = await io.octokit.rest.repos.getCommit({ ...io.repo, ref, per_page: 1 });
    return data.sha;
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 404 || status === 422) return undefined;
    throw error;
  }
}

/** Whether `sha` is in the history of `base` (`compare` says `behind` or `identical`). */
async function isAncestor(io: GitHubIo, sha: string, base: string): Promise<boolean> {
  try {
    const { data } = await io.octokit.rest.repos.compareCommitsWithBasehead({
      ...io.repo,
      basehead: `${base}...${sha}`,
      per_page: 1,
    });
    return data.status === 'behind' || data.status === 'identical';
  } catch (error) {
    if ((error as { status?: number }).status === 404) return false;
    throw error;
  }
}
