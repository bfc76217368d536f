/**
 * `npm start`: Rollgate's server. Configuration comes from the environment (and `.env`, as
 * Probot's `run` read it): APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET, PORT, HOST,
 * WEBHOOK_PATH, LOG_LEVEL, LOG_FORMAT, REDIS_URL, GHE_HOST / GHE_PROTOCOL, and the limits
 * ROLLGATE_WRITES_PER_MINUTE / ROLLGATE_WRITES_PER_HOUR / ROLLGATE_SHUTDOWN_GRACE_MS, and the
 * dashboard's GITHUB_CLIENT_ID / GITHUB_CLIENT_SECRET / ROLLGATE_SESSION_KEY / ROLLGATE_DASHBOARD_URL.
 * Without APP_ID it serves the setup page, which registers the App of `app/app.yml`.
 * SIGTERM and SIGINT stop accepting webhooks, let the handlers in flight finish, then exit.
 */
import { existsSync } from 'node:fs';
import { Probot, ProbotOctokit } from 'probot';
import { MemoryWriteBudget, type WriteBudget } from './limits/budget.ts';
import { MemoryLeases, RedisLeases, useLeases, type HandlingLeases } from './limits/handling-lease.ts';
import { githubLimiter } from './limits/limiter.ts';
import { RedisWriteBudget } from './limits/redis-budget.ts';
import { MAX_WEBHOOK_BYTES, readAppConfig, StartupError, type AppConfig } from './server/config.ts';
import { handleSetup } from './server/setup.ts';
import { startWebhookServer, type WebhookServer } from './server/webhook-server.ts';
import { startSweeps } from './deferred/sweep.ts';
import { readDashboardConfig, type DashboardConfig } from './dashboard/config.ts';
import { createDashboard, type Dashboard } from './dashboard/dashboard.ts';
import type { InstallationGitHub } from './dashboard/environments.ts';
import { lockEvent, MemoryEventBus, onLockChange, type EventBus } from './dashboard/events.ts';
import { RedisEventBus } from './dashboard/redis-events.ts';
import { EtagCache } from './dashboard/etag-cache.ts';
import type { GitRefsApi } from '../src/github/environment-refs.ts';
import { now as clockNow } from './clock.ts';
import rollgate from './index.ts';

if (existsSync('.env')) process.loadEnvFile('.env');

let config: AppConfig;
let dashboardConfig: DashboardConfig | undefined;
try {
  config = readAppConfig(process.env);
  dashboardConfig = config.mode === 'app' ? readDashboardConfig(process.env, config.baseUrl) : undefined;
} catch (error) {
  if (!(error instanceof StartupError)) throw error;
  console.error(`Rollgate cannot start: ${error.render()}`);
  process.exit(1);
}

let server: WebhookServer;
let stopSweeps: (() => Promise<void>) | undefined;
let budget: WriteBudget | undefined;
let leases: HandlingLeases | undefined;
let dashboard: Dashboard | undefined;
let log: {
  info(message: string): void;
  warn(message: string): void;
  error(details: object, message: string): void;
};

if (config.mode === 'setup') {
  log = {
    info: console.info,
    warn: console.warn,
    error: (details, message) => {
      console.error(message, details);
    },
  };
  const gheHost = process.env.GHE_HOST;
  const org = process.env.GH_ORG;
  const createAppUrl = `${gheHost ? `${process.env.GHE_PROTOCOL ?? 'https'}://${gheHost}` : 'https://github.com'}${org ? `/organizations/${org}` : ''}/settings/apps/new`;
  server = await startWebhookServer({
    ...config,
    maxBodyBytes: MAX_WEBHOOK_BYTES,
    webhookSecret: undefined,
    receive: () => Promise.resolve(),
    extraRoutes: (req, res) =>
      handleSetup(req, res, {
        apiBaseUrl: config.baseUrl,
        createAppUrl,
        webhookPath: config.webhookPath,
        envDirectory: process.cwd(),
        log: console.info,
      }),
    log,
  });
  log.info(`Setup mode (no APP_ID): open ${server.url}/probot to register the GitHub App from app/app.yml.`);
} else {
  const app = config;
  budget =
    app.redisUrl === undefined
      ? new MemoryWriteBudget(app.writeLimits)
      : // Reported through the App's logger (it exists by the first write), so LOG_FORMAT=json keeps every line JSON.
        new RedisWriteBudget(app.redisUrl, app.writeLimits, (error) => {
          log.warn(
            `Redis at REDIS_URL is unreachable (${error instanceof Error ? error.message : String(error)}): limiting writes in this replica alone until it answers.`,
          );
        });
  leases = app.redisUrl === undefined ? new MemoryLeases() : new RedisLeases(app.redisUrl);
  useLeases(leases);
  const limiter = { budget };
  // Probot's throttling and retry plugins are off: `githubLimiter` is the one mechanism.
  const Octokit = ProbotOctokit.plugin(githubLimiter).defaults((options: Record<string, unknown>) => ({
    ...options,
    throttle: { enabled: false },
    retry: { enabled: false },
    limiter,
  }));
  const probot = new Probot({
    appId: app.appId,
    privateKey: app.privateKey,
    secret: app.webhookSecret,
    baseUrl: app.baseUrl,
    logLevel: app.logLevel as 'info',
    logFormat: app.logFormat,
    Octokit,
  });
  await probot.load(rollgate);
  log = probot.log;
  if (app.insecureSecret)
    log.warn(
      "NODE_ENV=development and no WEBHOOK_SECRET: webhooks are verified with the public secret 'development'.",
    );
  if (dashboardConfig !== undefined) {
    // With REDIS_URL, a page connected to one replica hears webhooks received by any.
    const bus: EventBus =
      app.redisUrl === undefined ? new MemoryEventBus() : new RedisEventBus(app.redisUrl, { log });
    const publish = (event: Parameters<EventBus['publish']>[0]): void => {
      bus.publish(event).catch((error: unknown) => {
        log.warn(
          `dashboard: an event was not published: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
    };
    // Lock refs fire no webhook: the lock commands report their changes here.
    onLockChange((change) => {
      publish(lockEvent(change));
    });
    // The dashboard's reads are cached with ETags (what did not change costs no rate limit), and
    // each change the App hears of, on any replica, makes its repository's answers stale.
    const etags = new EtagCache();
    const installations = new Map<number, Promise<InstallationGitHub>>();
    bus.subscribe((event) => {
      etags.invalidate(event.repository);
    });
    dashboard = createDashboard({
      config: dashboardConfig,
      bus,
      appId: app.appId,
      // One Octokit per installation, kept: making one (Probot's plugins, its endpoint methods)
      // costs more than a page's cached reads, and its auth hook renews the token when it expires.
      installation: (id) => {
        const known = installations.get(id);
        if (known !== undefined) return known;
        const made = probot.auth(id).then((octokit) => {
          etags.attach(octokit, id);
          return {
            repos: octokit.rest.repos,
            git: octokit.rest.git as unknown as GitRefsApi,
            issues: octokit.rest.issues,
            checks: octokit.rest.checks,
            teams: octokit.rest.teams,
            appId: app.appId,
          };
        });
        installations.set(id, made);
        made.catch(() => installations.delete(id));
        return made;
      },
      // Actions run the comment commands' handlers with the installation's token, as webhooks do.
      actions: {
        io: async (id, repo) => {
          const octokit = await probot.auth(id);
          const git = octokit.rest.git as unknown as GitRefsApi;
          return { octokit, git, repo: { ...repo }, appId: app.appId, log: probot.log };
        },
      },
      log,
    });
  }
  const live = dashboard;
  server = await startWebhookServer({
    ...app,
    maxBodyBytes: MAX_WEBHOOK_BYTES,
    webhookSecret: app.webhookSecret,
    receive: (event) => {
      // Open dashboards hear of a deployment as it arrives: GitHub holds the change already.
      live?.notify(event.name, event.payload);
      return probot.receive(event as unknown as Parameters<Probot['receive']>[0]);
    },
    ...(live === undefined ? {} : { extraRoutes: (req, res) => live.routes(req, res) }),
    log,
  });
  if (live !== undefined) log.info(`Dashboard at ${server.url}/dashboard (sign-in with GitHub).`);
  // Deferred deploy requests (a window that opens later): every replica sweeps for due ones.
  stopSweeps = startSweeps(probot, { intervalMs: app.sweepIntervalMs, now: clockNow, log: probot.log });
}

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  const graceMs = config.mode === 'app' ? config.shutdownGraceMs : 0;
  log.info(`${signal}: no new webhooks; waiting up to ${graceMs} ms for the handlers in flight.`);
  void server.drain(graceMs).then(async (unfinished) => {
    await stopSweeps?.();
    await dashboard?.close();
    await budget?.close();
    await leases?.close();
    if (unfinished.length === 0) {
      log.info('Every handler finished: exiting.');
      process.exit(0);
    }
    log.warn(
      `The grace period ended with ${unfinished.length} handler(s) still running (deliveries ${unfinished.join(', ')}): exiting.`,
    );
    process.exit(1);
  });
};
process.on('SIGTERM', () => {
  stop('SIGTERM');
});
process.on('SIGINT', () => {
  stop('SIGINT');
});
