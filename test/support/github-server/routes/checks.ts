/**
 * Check runs (https://docs.github.com/rest/checks/runs): only a GitHub App may write them; a
 * `conclusion` completes the run; listing for a ref shows the latest run of each name by default.
 */
import { buildCheckRun } from '../fixtures.ts';
import type { CheckRunRecord, RepositoryRecord } from '../state.ts';
import {
  ApiError,
  bodyOf,
  integerParam,
  notFound,
  queryString,
  requireRepository,
  stringParam,
  validationFailed,
  type ApiAnswer,
  type ApiRequest,
  type RouteContext,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

export const checkRoutes: RouteTable = {
  'checks/create': createCheckRun,
  'checks/update': updateCheckRun,
  'checks/get': (request, context) => {
    const repository = requireRepository(request, context);
    const run = requireCheckRun(request, repository);
    return { status: 200, body: buildCheckRun(context.links, repository, run, context.state.app) };
  },
  'checks/list-for-ref': (request, context) => {
    const repository = requireRepository(request, context);
    const sha = context.state.resolveRef(repository, stringParam(request, 'ref'));
    if (sha === undefined) throw notFound();
    const name = queryString(request, 'check_name');
    const status = queryString(request, 'status');
    const appId = request.query.app_id;
    let runs = [...repository.checkRuns.values()]
      .filter((run) => run.headSha === sha)
      .filter((run) => name === undefined || run.name === name)
      .filter((run) => status === undefined || run.status === status)
      .filter((run) => appId === undefined || (run.viaApp && appId === context.state.app.id))
      .sort((a, b) => b.id - a.id);
    if (queryString(request, 'filter') !== 'all') {
      runs = runs.filter((run, index) => runs.findIndex((other) => other.name === run.name) === index);
    }
    const page = paginate(runs, request);
    return {
      status: 200,
      body: {
        total_count: runs.length,
        check_runs: page.items.map((run) => buildCheckRun(context.links, repository, run, context.state.app)),
      },
      headers: page.headers,
    };
  },
};

function requireCheckRun(request: ApiRequest, repository: RepositoryRecord): CheckRunRecord {
  const run = repository.checkRuns.get(integerParam(request, 'check_run_id'));
  if (!run) throw notFound();
  return run;
}

/** Checks are written by GitHub Apps only; a user's token gets 403. */
function requireApp(request: ApiRequest): void {
  if (request.actor.kind !== 'installation')
    throw new ApiError(403, 'You must authenticate via a GitHub App.');
}

function createCheckRun(request: ApiRequest, context: RouteContext): ApiAnswer {
  const repository = requireRepository(request, context);
  requireApp(request);
  const body = bodyOf(request, 'checks/create');
  if (!repository.commits.has(body.head_sha)) {
    throw new ApiError(422, `No commit found for SHA: ${body.head_sha}`);
  }
  const suite = [...repository.checkRuns.values()].find((run) => run.headSha === body.head_sha);
  const run: CheckRunRecord = {
    id: context.state.nextId(),
    headSha: body.head_sha,
    checkSuiteId: suite?.checkSuiteId ?? context.state.nextId(),
    viaApp: true,
    name: body.name,
    externalId: body.external_id ?? '',
    detailsUrl: body.details_url ?? null,
    status: 'queued',
    conclusion: null,
    startedAt: null,
    completedAt: null,
    output: { title: null, summary: null, text: null, annotations: [] },
    actions: [],
  };
  applyChanges(context, run, body);
  run.startedAt ??= context.state.now();
  repository.checkRuns.set(run.id, run);
  return { status: 201, body: buildCheckRun(context.links, repository, run, context.state.app) };
}

function updateCheckRun(request: ApiRequest, context: RouteContext): ApiAnswer {
  const repository = requireRepository(request, context);
  requireApp(request);
  const run = requireCheckRun(request, repository);
  const body = bodyOf(request, 'checks/update');
  if (body.name !== undefined) run.name = body.name;
  applyChanges(context, run, body);
  return { status: 200, body: buildCheckRun(context.links, repository, run, context.state.app) };
}

interface CheckRunChanges {
  readonly details_url?: string;
  readonly external_id?: string;
  readonly status?: string;
  readonly conclusion?: string;
  readonly started_at?: string;
  readonly completed_at?: string;
  readonly output?: { title?: string; summary: string; text?: string; annotations?: readonly unknown[] };
  readonly actions?: readonly { label: string; description: string; identifier: string }[];
}

/** Applies the fields create and update share. "Providing conclusion will automatically set the status to completed." */
function applyChanges(context: RouteContext, run: CheckRunRecord, body: CheckRunChanges): void {
  const conclusion = body.conclusion ?? run.conclusion;
  const status = body.conclusion !== undefined ? 'completed' : (checkStatus(body.status) ?? run.status);
  if (status === 'completed' && conclusion === null) {
    throw new ApiError(422, 'Invalid request.\n\nconclusion is required when status is completed.');
  }
  run.status = status;
  run.conclusion = conclusion;
  if (body.details_url !== undefined) run.detailsUrl = body.details_url;
  if (body.external_id !== undefined) run.externalId = body.external_id;
  if (body.started_at !== undefined) run.startedAt = new Date(body.started_at);
  if (body.completed_at !== undefined) run.completedAt = new Date(body.completed_at);
  if (status === 'completed') run.completedAt ??= context.state.now();
  if (body.output) {
    checkOutputLength('summary', body.output.summary);
    checkOutputLength('text', body.output.text);
    run.output = {
      title: body.output.title ?? run.output.title,
      summary: body.output.summary,
      text: body.output.text ?? run.output.text,
      // GitHub adds annotations to the run's list on each request (at most 50 per request).
      annotations: [...run.output.annotations, ...(body.output.annotations ?? [])],
    };
  }
  if (body.actions) run.actions = body.actions.map((action) => ({ ...action }));
}

/**
 * `output.summary` and `output.text` hold at most 65,535 characters ("Invalid request.\n\nOnly
 * 65535 characters are allowed; 85289 were supplied.", zyborg/dotnet-tests-report#9) and at most
 * 65,535 bytes ("summary exceeds a maximum bytesize of 65535", github/docs#35252).
 */
function checkOutputLength(field: 'summary' | 'text', value: string | undefined): void {
  if (value === undefined) return;
  if (value.length > maxOutputLength) {
    throw new ApiError(
      422,
      `Invalid request.\n\nOnly ${maxOutputLength} characters are allowed; ${value.length} were supplied.`,
    );
  }
  if (Buffer.byteLength(value) > maxOutputLength) {
    throw validationFailed([
      {
        resource: 'CheckRun',
        code: 'custom',
        field,
        message: `${field} exceeds a maximum bytesize of ${maxOutputLength}`,
      },
    ]);
  }
}

const maxOutputLength = 65_535;

function checkStatus(value: string | undefined): CheckRunRecord['status'] | undefined {
  return value === 'queued' || value === 'in_progress' || value === 'completed' ? value : undefined;
}
