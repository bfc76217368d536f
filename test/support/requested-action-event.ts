/**
 * The `check_run.requested_action` webhook GitHub sends when someone presses one of a check run's
 * buttons: GitHub shows only the buttons the run's `actions` list, and sends the event only to the
 * App that created the run, with `requested_action.identifier` and the presser as `sender`
 * (https://docs.github.com/rest/checks/runs#check-runs-and-requested-actions,
 * https://docs.github.com/webhooks/webhook-events-and-payloads#check_run). Built from
 * `@octokit/webhooks-examples`' example, with the run as the test server holds it.
 */
import { examplePayload, REPOSITORY, type AppStand } from './app-stand.ts';
import { buildCheckRun } from './github-server/fixtures.ts';

/** The payload of `user` pressing the button `identifier` of check run `runId`; throws for a button the run does not offer. */
export function requestedActionEvent(
  s: AppStand,
  runId: number,
  identifier: string,
  user: string,
): Record<string, unknown> {
  const repository = s.github.state.seeded(REPOSITORY);
  const run = repository.checkRuns.get(runId);
  if (run === undefined) throw new Error(`no check run ${runId}`);
  if (!run.viaApp) throw new Error(`check run ${runId} is not the App's: GitHub would not send it the event`);
  if (!run.actions.some((a) => a.identifier === identifier))
    throw new Error(
      `check run ${runId} offers no button '${identifier}' (it offers ${JSON.stringify(run.actions)})`,
    );
  const example = examplePayload('check_run', 'requested_action');
  const checkRun = buildCheckRun(s.github.state.links, repository, run, s.github.state.app);
  return s.event('check_run', 'requested_action', {
    check_run: { ...(example.check_run as object), ...checkRun },
    requested_action: { identifier },
    sender: { ...(example.sender as object), login: user, type: 'User' },
  });
}
