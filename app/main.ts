/**
 * `npm start`: Rollgate on Probot's own server. Configuration comes from the environment:
 * APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET, PORT, HOST, WEBHOOK_PATH,
 * LOG_LEVEL, LOG_FORMAT, REDIS_URL, and GHE_HOST / GHE_PROTOCOL for GitHub Enterprise Server.
 * `GET /ping` answers PONG.
 */
import Bottleneck from 'bottleneck';
import { ProbotOctokit, run } from 'probot';
import rollgate from './index.ts';

// GitHub asks for a second between content-creating requests and more between those that notify
// people (comments), against its secondary rate limits; Probot's throttling plugin spaces them so.
// ROLLGATE_WRITE_INTERVAL_MS and ROLLGATE_NOTIFICATION_INTERVAL_MS tune the spacing for a GitHub
// Enterprise Server with other limits.
const interval = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
};
const write = new Bottleneck.Group({
  id: 'rollgate-write',
  maxConcurrent: 1,
  minTime: interval('ROLLGATE_WRITE_INTERVAL_MS', 1000),
});
const notifications = new Bottleneck.Group({
  id: 'rollgate-notifications',
  maxConcurrent: 1,
  minTime: interval('ROLLGATE_NOTIFICATION_INTERVAL_MS', 3000),
});
// Octokit's retry plugin retries 409s too; GitHub's 409 for a deployment means required status
// checks are not green, which trying again 14 s later does not change.
const doNotRetry = [400, 401, 403, 404, 409, 410, 422, 451];
const Octokit = ProbotOctokit.defaults((options: { throttle?: Record<string, unknown> } | undefined) => ({
  ...options,
  throttle: { ...options?.throttle, write, notifications },
  retry: { doNotRetry },
}));

await run(rollgate, { Octokit });
