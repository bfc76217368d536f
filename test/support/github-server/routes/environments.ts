/**
 * Deployment environments (https://docs.github.com/rest/deployments/environments): protection
 * rules as GitHub lists them (wait timer, required reviewers, branch policy).
 */
import { buildEnvironment } from '../fixtures.ts';
import type { Account } from '../state.ts';
import {
  ApiError,
  bodyOf,
  notFound,
  requireAccount,
  requireRepository,
  stringParam,
  validationFailed,
  type RouteTable,
} from './handler.ts';
import { paginate } from './pagination.ts';

export const environmentRoutes: RouteTable = {
  'repos/get-all-environments': (request, context) => {
    const repository = requireRepository(request, context);
    const all = [...repository.environments.values()].sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(all, request);
    return {
      status: 200,
      body: {
        total_count: all.length,
        environments: page.items.map((e) => buildEnvironment(context.links, repository, e)),
      },
      headers: page.headers,
    };
  },
  'repos/get-environment': (request, context) => {
    const repository = requireRepository(request, context);
    const name = stringParam(request, 'environment_name').toLowerCase();
    const environment = [...repository.environments.values()].find((e) => e.name.toLowerCase() === name);
    if (!environment) throw notFound();
    return { status: 200, body: buildEnvironment(context.links, repository, environment) };
  },
  'repos/create-or-update-environment': (request, context) => {
    const repository = requireRepository(request, context);
    requireAccount(request);
    const body = bodyOf(request, 'repos/create-or-update-environment');
    const policy = body.deployment_branch_policy;
    if (policy?.protected_branches === true && policy.custom_branch_policies) {
      throw validationFailed([
        {
          resource: 'Environment',
          code: 'invalid',
          field: 'deployment_branch_policy',
          message: 'Only one of protected_branches and custom_branch_policies can be true',
        },
      ]);
    }
    const reviewers = (body.reviewers ?? []).map((reviewer): Account => {
      if (reviewer.type === 'Team') {
        throw new ApiError(422, 'Team reviewers are not modelled by the test server: seed users instead.');
      }
      const account = reviewer.id === undefined ? undefined : context.state.accountById(reviewer.id);
      if (!account)
        throw validationFailed([{ resource: 'Environment', code: 'invalid', field: 'reviewers' }]);
      return account;
    });
    const environment = context.state.environment(repository, stringParam(request, 'environment_name'));
    if (body.wait_timer !== undefined) environment.waitTimer = body.wait_timer;
    if (body.prevent_self_review !== undefined) environment.preventSelfReview = body.prevent_self_review;
    if (body.reviewers !== undefined) environment.reviewers = reviewers;
    if (policy !== undefined) environment.deploymentBranchPolicy = policy;
    environment.updatedAt = context.state.now();
    return { status: 200, body: buildEnvironment(context.links, repository, environment) };
  },
};
