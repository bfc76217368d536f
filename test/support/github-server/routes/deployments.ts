/**
 * Deployments and deployment statuses, with GitHub's semantics
 * (https://docs.github.com/rest/deployments/deployments, …/statuses): auto-merge of the default
 * branch (202), the required-contexts check (409), environment defaults, and `auto_inactive`.
 */
import { buildDeployment, buildDeploymentStatus } from '../fixtures.ts';
import { compareCommits, mergeTrees } from '../history.ts';
import type { Account, DeploymentRecord, DeploymentState, RepositoryRecord } from '../state.ts';
import {
  ApiError,
  bodyOf,
  integerParam,
  notFound,
  queryString,
  requireAccount,
  requireRepository,
  validationFailed,
  type ApiAnswer,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

export const deploymentRoutes: RouteTable = {
  'repos/create-deployment': createDeployment,
  'repos/list-deployments': (request, context) => {
    const repository = requireRepository(request, context);
    const filters = ['sha', 'ref', 'task', 'environment'] as const;
    const matching = [...repository.deployments.values()]
      .filter((deployment) =>
        filters.every((name) => {
          const wanted = queryString(request, name);
          return wanted === undefined || deployment[name] === wanted;
        }),
      )
      .sort((a, b) => b.id - a.id);
    const page = paginate(matching, request);
    return {
      status: 200,
      body: page.items.map((d) => buildDeployment(context.links, repository, d, context.state.app)),
      headers: page.headers,
    };
  },
  'repos/get-deployment': (request, context) => {
    const repository = requireRepository(request, context);
    const deployment = requireDeployment(request, repository);
    return { status: 200, body: buildDeployment(context.links, repository, deployment, context.state.app) };
  },
  'repos/delete-deployment': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const deployment = requireDeployment(request, repository);
    const sameEnvironment = [...repository.deployments.values()].filter(
      (d) => d.environment === deployment.environment,
    );
    // "If the repository has more than one deployment, you can only delete inactive deployments."
    if (sameEnvironment.length > 1 && deployment.statuses.at(-1)?.state !== 'inactive') {
      throw new ApiError(
        422,
        'We cannot delete an active deployment unless it is the only deployment in a given environment.',
      );
    }
    repository.deployments.delete(deployment.id);
    return { status: 204 };
  },
  'repos/create-deployment-status': createDeploymentStatus,
  'repos/list-deployment-statuses': (request, context) => {
    const repository = requireRepository(request, context);
    const deployment = requireDeployment(request, repository);
    const page = paginate([...deployment.statuses].reverse(), request);
    return {
      status: 200,
      body: page.items.map((s) => buildDeploymentStatus(context.links, repository, s, context.state.app)),
      headers: page.headers,
    };
  },
  'repos/get-deployment-status': (request, context) => {
    const repository = requireRepository(request, context);
    const deployment = requireDeployment(request, repository);
    const status = deployment.statuses.find((s) => s.id === integerParam(request, 'status_id'));
    if (!status) throw notFound();
    return { status: 200, body: buildDeploymentStatus(context.links, repository, status, context.state.app) };
  },
};

function requireDeployment(request: ApiRequest, repository: RepositoryRecord): DeploymentRecord {
  const deployment = repository.deployments.get(integerParam(request, 'deployment_id'));
  if (!deployment) throw notFound();
  return deployment;
}

function createDeployment(request: ApiRequest, context: RouteContext): ApiAnswer {
  const repository = requireRepository(request, context);
  const creator = requireAccount(request);
  const body = bodyOf(request, 'repos/create-deployment');
  if (context.state.resolveRef(repository, body.ref) === undefined) {
    throw new ApiError(422, `No ref found for: ${body.ref}`);
  }
  if (body.auto_merge !== false) {
    const merged = mergeDefaultBranch(context, repository, body.ref, creator);
    if (merged) return { status: 202, body: { message: merged } };
  }
  const sha = context.state.resolveRef(repository, body.ref) ?? '';
  checkRequiredContexts(context, repository, sha, body.ref, body.required_contexts);

  const environment = body.environment ?? 'production';
  context.state.environment(repository, environment);
  const now = context.state.now();
  const deployment: DeploymentRecord = {
    id: context.state.nextId(),
    sha,
    ref: body.ref,
    task: body.task ?? 'deploy',
    payload: parsePayload(body.payload),
    originalEnvironment: environment,
    environment,
    description: body.description === undefined ? '' : body.description,
    creator,
    viaApp: request.actor.kind === 'installation',
    transient: body.transient_environment ?? false,
    production: body.production_environment ?? environment === 'production',
    createdAt: now,
    updatedAt: now,
    statuses: [],
  };
  repository.deployments.set(deployment.id, deployment);
  return { status: 201, body: buildDeployment(context.links, repository, deployment, context.state.app) };
}

/** A JSON string payload is stored as the object it encodes, as GitHub shows it back. */
function parsePayload(payload: unknown): Record<string, unknown> | string {
  if (typeof payload !== 'string')
    return typeof payload === 'object' && payload !== null ? { ...payload } : {};
  try {
    const parsed: unknown = JSON.parse(payload);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? { ...parsed } : payload;
  } catch {
    return payload;
  }
}

/**
 * `auto_merge`: when the ref is a branch behind the default branch, GitHub merges the default branch
 * into it and answers 202 without creating a deployment; a conflict answers 409.
 */
function mergeDefaultBranch(
  context: RouteContext,
  repository: RepositoryRecord,
  ref: string,
  creator: Account,
): string | undefined {
  const branch = ref.replace(/^(refs\/)?heads\//, '');
  const head = repository.refs.get(`refs/heads/${branch}`);
  const base = repository.refs.get(`refs/heads/${repository.defaultBranch}`);
  if (head === undefined || base === undefined || branch === repository.defaultBranch) return undefined;
  if (context.state.ancestors(repository, head).has(base)) return undefined;
  const { mergeBase } = compareCommits(repository, base, head);
  const tree = (sha: string): ReadonlyMap<string, string> => repository.commits.get(sha)?.tree ?? new Map();
  const merge = mergeTrees(tree(mergeBase), tree(head), tree(base));
  if (!merge.ok) throw new ApiError(409, `Conflict merging ${repository.defaultBranch} into ${branch}.`);
  context.state.addCommit(repository.fullName, {
    branch,
    parents: [head, base],
    files: merge.changes,
    message: `Merge branch '${repository.defaultBranch}' into ${branch}`,
    author: creator.login,
  });
  return `Auto-merged ${repository.defaultBranch} into ${branch} on deployment.`;
}

/**
 * Omitted `required_contexts` means every context on the commit (statuses and check runs) must be `success`; `[]` skips the
 * check. The 409 body lists the contexts with their states (`missing` for a required context that
 * never reported: that word is the test server's).
 */
function checkRequiredContexts(
  context: RouteContext,
  repository: RepositoryRecord,
  sha: string,
  ref: string,
  required: readonly string[] | undefined,
): void {
  const latest = new Map<string, string>(
    context.state.latestStatuses(repository, sha).map((s) => [s.context, s.state]),
  );
  // Check runs count as contexts too, and only `success` passes: a `skipped` run makes GitHub answer
  // 409 (https://github.com/sbb-design-systems/sbb-angular/pull/2447).
  for (const run of [...repository.checkRuns.values()].sort((a, b) => a.id - b.id)) {
    if (run.headSha !== sha) continue;
    latest.set(run.name, run.status === 'completed' ? (run.conclusion ?? 'failure') : 'pending');
  }
  const contexts = required ?? [...latest.keys()];
  if (contexts.every((name) => latest.get(name) === 'success')) return;
  throw new ApiError(409, `Conflict: Commit status checks failed for ${ref}.`, [
    {
      contexts: contexts.map((name) => ({ context: name, state: latest.get(name) ?? 'missing' })),
      resource: 'Deployment',
      field: 'required_contexts',
      code: 'invalid',
    },
  ]);
}

function createDeploymentStatus(request: ApiRequest, context: RouteContext): ApiAnswer {
  const repository = requireRepository(request, context);
  const creator = requireAccount(request);
  const deployment = requireDeployment(request, repository);
  const body = bodyOf(request, 'repos/create-deployment-status');
  const description = body.description ?? '';
  if (description.length > 140) {
    throw validationFailed([
      {
        resource: 'DeploymentStatus',
        code: 'custom',
        field: 'description',
        message: 'description is too long (maximum is 140 characters)',
      },
    ]);
  }
  if (body.environment !== undefined) {
    context.state.environment(repository, body.environment);
    deployment.environment = body.environment;
  }
  // "Setting log_url will automatically set target_url to the same value."
  const logUrl = body.log_url ?? body.target_url ?? '';
  const status = addStatus(context, deployment, body.state, creator, request.actor.kind === 'installation', {
    description,
    logUrl,
    environmentUrl: body.environment_url ?? '',
  });
  if (body.state === 'success' && body.auto_inactive !== false) {
    deactivateEarlierDeployments(context, repository, deployment, creator);
  }
  return { status: 201, body: buildDeploymentStatus(context.links, repository, status, context.state.app) };
}

function addStatus(
  context: RouteContext,
  deployment: DeploymentRecord,
  state: DeploymentState,
  creator: Account,
  viaApp: boolean,
  details: { description: string; logUrl: string; environmentUrl: string },
) {
  const now = context.state.now();
  const status = {
    id: context.state.nextId(),
    deploymentId: deployment.id,
    state,
    description: details.description,
    environment: deployment.environment,
    targetUrl: details.logUrl,
    logUrl: details.logUrl,
    environmentUrl: details.environmentUrl,
    creator,
    viaApp,
    createdAt: now,
  };
  deployment.statuses.push(status);
  deployment.updatedAt = now;
  return status;
}

/**
 * `auto_inactive` (default true): "Adds a new inactive status to all prior non-transient,
 * non-production environment deployments with the same repository and environment name as the
 * created status's deployment. An inactive status is only added to deployments that had a success
 * state." The server applies it when a deployment reaches `success`.
 */
function deactivateEarlierDeployments(
  context: RouteContext,
  repository: RepositoryRecord,
  current: DeploymentRecord,
  creator: Account,
): void {
  for (const earlier of repository.deployments.values()) {
    const eligible =
      earlier.id < current.id &&
      earlier.environment === current.environment &&
      !earlier.transient &&
      !earlier.production &&
      earlier.statuses.some((s) => s.state === 'success') &&
      earlier.statuses.at(-1)?.state !== 'inactive';
    if (eligible) {
      addStatus(context, earlier, 'inactive', creator, current.viaApp, {
        description: '',
        logUrl: '',
        environmentUrl: '',
      });
    }
  }
}
