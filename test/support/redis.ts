/**
 * A real `redis-server` (the Debian package; `.ci/run` installs it) on a free port, without
 * persistence, for the App's shared write budgets and for replicas that share one.
 */
import { spawn } from 'node:child_process';
import { closedPort } from './http-target.ts';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, the App's `REDIS_URL`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** `port`: a chosen one (to start Redis again where a stopped one was); a free one by default. */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await closedPort());
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => redis.once('exit', resolve));
  let output = '';
  await new Promise<void>((ready, fail) => {
    redis.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) ready();
    });
    redis.once('error', (error) => {
      fail(
        new Error(
          `redis-server could not be started (is the redis-server package installed?): ${error.message}`,
        ),
      );
    });
    redis.once('exit', (code) => {
      fail(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async close() {
      if (redis.exitCode === null && redis.signalCode === null) redis.kill('SIGTERM');
      await exited;
    },
  };
}
