// The App fuzz at full scale (`npm run fuzz`): test/integration/app-fuzz.test.ts run in shards,
// each with its own seed, App process and GitHub API test server, a few at once. A shard's result
// is printed as soon as it ends, so a long run reports what it has covered even if it is stopped.
// Defaults: 100,000 comments and 1,000 configuration files in 8 shards, 2 at a time.
//   node scripts/fuzz.mjs [--comments N] [--configs N] [--shards N] [--parallel N] [--seed N]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    comments: { type: 'string', default: '100000' },
    configs: { type: 'string', default: '1000' },
    shards: { type: 'string', default: '8' },
    parallel: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1000' },
  },
});
const number = (name) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} must be a positive whole number, not ${JSON.stringify(values[name])}`);
    process.exit(2);
  }
  return value;
};
const comments = number('comments');
const configs = number('configs');
const shards = number('shards');
const parallel = number('parallel');
const seed = number('seed');

const share = (total, index) => Math.floor(total / shards) + (index < total % shards ? 1 : 0);

function runShard(index) {
  const env = {
    ...process.env,
    ROLLGATE_FUZZ_COMMENTS: String(share(comments, index)),
    ROLLGATE_FUZZ_CONFIGS: String(Math.max(1, share(configs, index))),
    // Seeds far apart: the test uses its seed and the next one.
    ROLLGATE_FUZZ_SEED: String(seed + index * 10),
  };
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', 'test/integration/app-fuzz.test.ts'],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => {
      const seconds = Math.round((Date.now() - started) / 1000);
      const line = `shard ${index + 1}/${shards} (seed ${env.ROLLGATE_FUZZ_SEED}): ${env.ROLLGATE_FUZZ_COMMENTS} comments, ${env.ROLLGATE_FUZZ_CONFIGS} configuration files: ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s`;
      console.log(line);
      if (code !== 0) console.log(output.split('\n').slice(-80).join('\n'));
      resolve({
        code,
        comments: Number(env.ROLLGATE_FUZZ_COMMENTS),
        configs: Number(env.ROLLGATE_FUZZ_CONFIGS),
      });
    });
  });
}

const results = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(parallel, shards) }, async () => {
    for (let index = next++; index < shards; index = next++) results.push(await runShard(index));
  }),
);
const passed = results.filter((r) => r.code === 0);
const sum = (list, key) => list.reduce((total, r) => total + r[key], 0);
console.log(
  `${passed.length}/${shards} shards passed: ${sum(passed, 'comments').toLocaleString('en-US')} comments and ${sum(passed, 'configs').toLocaleString('en-US')} configuration files through the App without a finding`,
);
process.exit(passed.length === shards ? 0 : 1);
