/**
 * The App under test, for real: `node app/main.ts` (what `npm start` runs) as a child process on a
 * free port, talking to the GitHub API test server through Probot's GHE_HOST, receiving webhooks
 * signed with its secret and built from @octokit/webhooks-examples payloads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closedPort } from './http-target.ts';
import { repositoryRoot } from './runner.ts';
import { startGitHubServer, type GitHubServer } from './github-server/server.ts';

export const REPOSITORY = 'octo-org/hello-service';
export const WEBHOOK_SECRET = 'rollgate-webhook-secret';

export const CONFIG = `environments:
  staging:
    url: https://staging.example.com
    auto_deploy: [release]
  production:
    url: https://example.com
    production: true
commands:
  permission: write
`;

export interface AppStand {
  readonly github: GitHubServer;
  /** `owner/name` of the repository the App is installed on (`REPOSITORY` unless the test chose one). */
  readonly repository: string;
  readonly url: string;
  readonly installationId: number;
  readonly pullNumber: number;
  readonly headSha: string;
  /** The App process, for measuring it. */
  readonly pid: number | undefined;
  /** Kills the App process (SIGKILL, as a crash does) if it still runs, and starts it again on the same port. */
  restart(): Promise<void>;
  /** A second App process, same App and GitHub, on its own port (another replica); closed with the stand. */
  replica(): Promise<{ url: string; log(): string }>;
  /** Sends `signal` to the App; resolves with its exit code once it exits. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
  /**
   * Delivers a webhook as GitHub does; resolves with the App's HTTP status. `to` is where it goes
   * (a base URL, e.g. a balancer in front of replicas); the App by default.
   */
  send(
    event: string,
    payload: unknown,
    options?: { delivery?: string; secret?: string; to?: string },
  ): Promise<number>;
  /** GitHub's example payload of `event.action`, moved to this repository and installation. */
  event(event: string, action: string, fields?: Record<string, unknown>): Record<string, unknown>;
  /** The `issue_comment.created` payload of an existing comment. */
  commentPayload(commentId: number, text: string, user: string, pullNumber?: number): Record<string, unknown>;
  /** A pull-request comment by `user`, seeded on the server and delivered as `issue_comment.created`. */
  comment(
    body: string,
    options?: { user?: string; pullNumber?: number; delivery?: string; to?: string },
  ): Promise<{ status: number; commentId: number; delivery: string }>;
  /** The App's log so far. */
  log(): string;
  close(): Promise<void>;
}

type Example = Record<string, unknown> & { action?: string };
let examples: { name: string; examples: Example[] }[] | undefined;

/** A real example payload of GitHub's for `event.action`, deep-copied. */
export function examplePayload(event: string, action: string): Example {
  examples ??= JSON.parse(
    readFileSync(
      join(repositoryRoot, 'node_modules/@octokit/webhooks-examples/api.github.com/index.json'),
      'utf8',
    ),
  ) as { name: string; examples: Example[] }[];
  const found = examples.find((e) => e.name === event)?.examples.find((e) => e.action === action);
  if (found === undefined) throw new Error(`no webhooks example for ${event}.${action}`);
  return structuredClone(found);
}

/** How long GitHub waits for the answer to a webhook delivery. */
export const DELIVERY_TIMEOUT_MS = 10_000;

let privateKeyOfThisProcess: string | undefined;

/**
 * The App's private key, one per test process: a 2048-bit RSA key takes ~100 ms of CPU to make
 * (the fault matrices start hundreds of stands), and the test server checks a JWT's form, not
 * whose key signed it.
 */
function appPrivateKey(): string {
  privateKeyOfThisProcess ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  }).privateKey;
  return privateKeyOfThisProcess;
}

export async function startAppStand(
  options: {
    config?: string | null;
    /** More environment for the App; a function of the GitHub test server for what depends on it. */
    env?: Record<string, string> | ((github: GitHubServer) => Record<string, string>);
    /**
     * Runs Probot's own Server in this process (still signed webhooks over HTTP), with an Octokit
     * that never retries or throttles: what the App does after a failed write is then its own.
     */
    inProcess?: boolean;
    /** Where the App reaches GitHub (`GHE_HOST`), e.g. a proxy in front of the test server. */
    githubHost?: (github: GitHubServer) => string | Promise<string>;
    /**
     * `owner/name` of the repository, `REPOSITORY` by default. An in-process App remembers some
     * facts per repository for its lifetime (legacy branches migrated, the holder commits' tree):
     * a name of its own gives a stand the fresh start a new App process has.
     */
    repository?: string;
    /** Whether the GitHub test server keeps its calls (`github.calls`); true by default. */
    recordCalls?: boolean;
    /** Makes the repository private (payloads then say so, as GitHub's do). */
    private?: boolean;
  } = {},
): Promise<AppStand> {
  const github = await startGitHubServer(
    options.recordCalls === undefined ? {} : { recordCalls: options.recordCalls },
  );
  const repository = options.repository ?? REPOSITORY;
  const [owner = '', name = ''] = repository.split('/');
  const files: Record<string, string> = { 'README.md': '# hello-service\n' };
  if (options.config !== null) files['.github/rollgate.yml'] = options.config ?? CONFIG;
  github.state.addRepository(repository, { files, private: options.private ?? false });
  github.state.addCollaborator(repository, 'octocat', 'write');
  github.state.addCollaborator(repository, 'monalisa', 'write');
  github.state.addCollaborator(repository, 'hubot', 'read');
  github.state.addCollaborator(repository, 'admin-alice', 'admin');
  const headSha = github.state.addCommit(repository, {
    branch: 'feature/checkout',
    files: { 'src/checkout.ts': 'export {};\n' },
    message: 'Checkout v2',
  });
  const pull = github.state.addPullRequest(repository, {
    head: 'feature/checkout',
    title: 'Checkout v2',
    user: 'octocat',
  });
  const installation = github.state.installApp(owner);

  const port = await closedPort();
  const privateKey = appPrivateKey();
  let output = '';
  const url = `http://127.0.0.1:${port}`;
  let stop: () => Promise<void>;
  let pid: number | undefined;
  let kill: () => Promise<void> = () => Promise.resolve();
  let signal: (name: NodeJS.Signals) => Promise<number | null> = () => Promise.resolve(null);
  const spawnApp = async (appPort: number): Promise<ChildProcess> =>
    spawn(process.execPath, startArguments(), {
      cwd: repositoryRoot,
      env: {
        PATH: process.env.PATH ?? '',
        APP_ID: String(github.state.app.id),
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET,
        PORT: String(appPort),
        HOST: '127.0.0.1',
        GHE_HOST: options.githubHost ? await options.githubHost(github) : github.host,
        GHE_PROTOCOL: 'http',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        // No sweep of deferred requests unless a test asks for one: its calls would count as the command's.
        ROLLGATE_SWEEP_INTERVAL_MS: '3600000',
        ...(typeof options.env === 'function' ? options.env(github) : options.env),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const launch = async (): Promise<void> => {
    const child = await spawnApp(port);
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitForPing(url, child, () => output);
    pid = child.pid;
    stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    signal = (name) => {
      child.kill(name);
      return exited;
    };
    kill = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    };
  };
  if (options.inProcess === true) {
    stop = await startInProcess(github, privateKey, port, (line) => (output += line));
  } else {
    stop = () => Promise.resolve();
    await launch();
  }

  let commentCounter = 0;
  const replicas: (() => Promise<void>)[] = [];
  const stand: AppStand = {
    github,
    repository,
    url,
    installationId: installation.id,
    pullNumber: pull.number,
    headSha,
    get pid() {
      return pid;
    },
    stop(name) {
      return signal(name);
    },
    async replica() {
      const replicaPort = await closedPort();
      const child = await spawnApp(replicaPort);
      let replicaOutput = '';
      child.stdout?.on('data', (chunk: Buffer) => (replicaOutput += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (replicaOutput += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const replicaUrl = `http://127.0.0.1:${replicaPort}`;
      await waitForPing(replicaUrl, child, () => replicaOutput);
      replicas.push(async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      });
      return { url: replicaUrl, log: () => replicaOutput };
    },
    async restart() {
      if (options.inProcess === true) throw new Error('restart() needs the App as a process');
      await kill();
      await launch();
    },
    async send(event, payload, sendOptions = {}) {
      const body = JSON.stringify(payload);
      const signature = `sha256=${createHmac('sha256', sendOptions.secret ?? WEBHOOK_SECRET)
        .update(body)
        .digest('hex')}`;
      const delivery = sendOptions.delivery ?? randomUUID();
      try {
        const response = await fetch(`${sendOptions.to ?? url}/api/github/webhooks`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': event,
            'x-github-delivery': delivery,
            'x-hub-signature-256': signature,
            'user-agent': 'GitHub-Hookshot/rollgate-test',
          },
          body,
          // GitHub gives up on a delivery that is not answered within 10 s and marks it failed
          // (https://docs.github.com/webhooks/using-webhooks/handling-failed-webhook-deliveries).
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer();
        return response.status;
      } catch (error) {
        if ((error as Error).name === 'TimeoutError')
          throw new Error(
            `the App did not answer ${event} delivery ${delivery} within GitHub's ${DELIVERY_TIMEOUT_MS / 1000} s: GitHub marks it failed`,
            { cause: error },
          );
        throw error;
      }
    },
    event(event, action, fields = {}) {
      const payload = examplePayload(event, action);
      const movedRepository = {
        ...(payload.repository as object),
        name,
        full_name: repository,
        private: github.state.seeded(repository).private,
        visibility: github.state.seeded(repository).private ? 'private' : 'public',
        owner: { ...(payload.repository as { owner: object }).owner, login: owner },
        html_url: `https://github.com/${repository}`,
      };
      return {
        ...payload,
        repository: movedRepository,
        installation: { id: installation.id, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' },
        ...fields,
      };
    },
    commentPayload(commentId, text, user, number = pull.number) {
      const payload = stand.event('issue_comment', 'created');
      const issue = {
        ...(payload.issue as object),
        number,
        pull_request: {
          url: `${github.url}/repos/${repository}/pulls/${number}`,
          html_url: `https://github.com/${repository}/pull/${number}`,
          diff_url: '',
          patch_url: '',
          merged_at: null,
        },
      };
      // GitHub's times of the comment, when the server holds it (a payload of a comment it never had keeps the example's).
      const seeded = github.state.seeded(repository).comments.get(commentId);
      const comment = {
        ...(payload.comment as object),
        id: commentId,
        body: text,
        ...(seeded === undefined
          ? {}
          : { created_at: seeded.createdAt.toISOString(), updated_at: seeded.updatedAt.toISOString() }),
        html_url: `https://github.com/${repository}/pull/${number}#issuecomment-${commentId}`,
        user: { ...(payload.comment as { user: object }).user, login: user, type: 'User' },
      };
      return { ...payload, issue, comment, sender: comment.user };
    },
    async comment(text, commentOptions = {}) {
      const user = commentOptions.user ?? 'octocat';
      const number = commentOptions.pullNumber ?? pull.number;
      const seeded = github.state.addComment(repository, number, { user, body: text });
      commentCounter++;
      const delivery = commentOptions.delivery ?? `comment-${commentCounter}-${randomUUID()}`;
      const status = await stand.send('issue_comment', stand.commentPayload(seeded.id, text, user, number), {
        delivery,
        ...(commentOptions.to === undefined ? {} : { to: commentOptions.to }),
      });
      return { status, commentId: seeded.id, delivery };
    },
    log: () => output,
    async close() {
      for (const end of replicas) await end();
      await stop();
      await github.close();
    },
  };
  return stand;
}

/** Probot's Server in this process, on `port`, against the test server; resolves with its stop. */
async function startInProcess(
  github: GitHubServer,
  privateKey: string,
  port: number,
  write: (line: string) => void,
): Promise<() => Promise<void>> {
  const [{ Probot, ProbotOctokit, Server }, { pino }, { default: rollgate }] = await Promise.all([
    import('probot'),
    import('pino'),
    import('../../app/index.ts'),
  ]);
  const log = pino({ level: 'info' }, { write });
  // Like the App's request limiter: reads are retried once after a 5xx or a dropped connection,
  // writes never (the App reconciles them itself).
  const Octokit = ProbotOctokit.plugin((octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      try {
        return await request(options);
      } catch (error) {
        const status = (error as { status?: number }).status ?? 500;
        if (options.method !== 'GET' || (status < 500 && status !== 403)) throw error;
        if (status === 403) await new Promise((resolve) => setTimeout(resolve, 1000));
        return request(options);
      }
    });
    // Probot sets its own throttle options after ours: switch the plugins off last.
  }).defaults((instance: { throttle?: Record<string, unknown> } | undefined) => ({
    ...instance,
    retry: { enabled: false },
    throttle: { ...instance?.throttle, enabled: false },
  }));
  const server = new Server({
    port,
    host: '127.0.0.1',
    log,
    Probot: Probot.defaults({
      appId: github.state.app.id,
      privateKey,
      secret: WEBHOOK_SECRET,
      baseUrl: github.url,
      Octokit,
      log,
    }),
  });
  await server.load(rollgate);
  const http = await server.start();
  return () =>
    new Promise((closed) => {
      http.close(() => {
        closed();
      });
    });
}

/** The arguments of `npm start` (package.json's start script), so the stand runs what users run. */
export function startArguments(): string[] {
  const pkg = JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as {
    scripts: { start: string };
  };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`npm start runs '${pkg.scripts.start}', not node`);
  return args.map((arg) => (arg.endsWith('.ts') ? join(repositoryRoot, arg) : arg));
}

async function waitForPing(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the App exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/ping`);
      if ((await response.text()) === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 20_000)
      throw new Error(`the App did not answer /ping within 20 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
