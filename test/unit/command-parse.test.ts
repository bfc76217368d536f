import { describe, expect, test } from '@jest/globals';
import { COMMAND_USAGE, renderHelp } from '../../app/commands/help.ts';
import { parseComment, renderCommand, type Command, type ParsedComment } from '../../app/commands/parse.ts';
import { liveMarkup } from '../support/gfm.ts';

type Deploy = Extract<Command, { kind: 'deploy' }>;

function deploy(environment: string, rest: Partial<Omit<Deploy, 'kind' | 'environment'>> = {}): Deploy {
  return { kind: 'deploy', environment, ref: undefined, dryRun: false, params: {}, ...rest };
}

const ENV_255 = `e${'n'.repeat(253)}v`;

describe('parseComment: commands', () => {
  test.each<[string, Command]>([
    // /deploy
    ['/deploy staging', deploy('staging')],
    ['/deploy production main', deploy('production', { ref: 'main' })],
    ['/deploy staging v1.4.0', deploy('staging', { ref: 'v1.4.0' })],
    ['/deploy staging feature/login-form', deploy('staging', { ref: 'feature/login-form' })],
    ['/deploy staging refs/heads/main', deploy('staging', { ref: 'refs/heads/main' })],
    ['/deploy staging 0123abc', deploy('staging', { ref: '0123abc' })],
    [
      '/deploy staging 0123456789abcdef0123456789abcdef01234567',
      deploy('staging', { ref: '0123456789abcdef0123456789abcdef01234567' }),
    ],
    ['/deploy staging naïve-branch', deploy('staging', { ref: 'naïve-branch' })],
    [`/deploy staging "it's"`, deploy('staging', { ref: "it's" })],
    ['/deploy staging "main"', deploy('staging', { ref: 'main' })],
    ['/deploy staging --dry-run', deploy('staging', { dryRun: true })],
    ['/deploy staging main --dry-run', deploy('staging', { ref: 'main', dryRun: true })],
    ['/deploy staging --dry-run main', deploy('staging', { ref: 'main', dryRun: true })],
    [
      '/deploy staging replicas=3 --dry-run main',
      deploy('staging', { ref: 'main', dryRun: true, params: { replicas: '3' } }),
    ],
    ['/deploy staging --dry-run --dry-run', deploy('staging', { dryRun: true })],
    ['/deploy staging \u2014dry-run', deploy('staging', { dryRun: true })],
    ['/deploy staging \u2013dry-run', deploy('staging', { dryRun: true })],
    ['/deploy staging "--dry-run"', deploy('staging', { dryRun: true })],
    ['/deploy staging reason="db migration"', deploy('staging', { params: { reason: 'db migration' } })],
    [`/deploy staging reason='db migration'`, deploy('staging', { params: { reason: 'db migration' } })],
    [`/deploy staging note="it's fine"`, deploy('staging', { params: { note: "it's fine" } })],
    [`/deploy staging k="a b"'c d'e`, deploy('staging', { params: { k: 'a bc de' } })],
    ['/deploy staging note= other=""', deploy('staging', { params: { note: '', other: '' } })],
    [
      '/deploy staging url=https://example.com/?a=b',
      deploy('staging', { params: { url: 'https://example.com/?a=b' } }),
    ],
    [
      '/deploy staging a.b-c_d=1 _x=2 A=3 a=4',
      deploy('staging', { params: { 'a.b-c_d': '1', _x: '2', A: '3', a: '4' } }),
    ],
    ['/deploy staging "replicas=3"', deploy('staging', { params: { replicas: '3' } })],
    [
      '/deploy staging main --dry-run replicas=3 reason="db migration"',
      deploy('staging', { ref: 'main', dryRun: true, params: { replicas: '3', reason: 'db migration' } }),
    ],
    ['/deploy "staging"', deploy('staging')],
    ['/deploy Staging', deploy('Staging')],
    ['/deploy prod.eu-west_1', deploy('prod.eu-west_1')],
    ['/deploy 1', deploy('1')],
    [`/deploy ${ENV_255}`, deploy(ENV_255)],
    ['/deploy\tstaging\tmain', deploy('staging', { ref: 'main' })],
    ['/deploy    staging     main   --dry-run', deploy('staging', { ref: 'main', dryRun: true })],
    ['/Deploy staging', deploy('staging')],
    ['/DEPLOY staging', deploy('staging')],
    // /rollback
    ['/rollback production', { kind: 'rollback', environment: 'production', target: undefined }],
    ['/rollback production 1.4.0', { kind: 'rollback', environment: 'production', target: '1.4.0' }],
    [
      '/rollback production v2.0.0-rc.1+build.7',
      { kind: 'rollback', environment: 'production', target: 'v2.0.0-rc.1+build.7' },
    ],
    [
      '/rollback production 0.0.0-abc1234',
      { kind: 'rollback', environment: 'production', target: '0.0.0-abc1234' },
    ],
    [
      '/rollback production 1234567890',
      { kind: 'rollback', environment: 'production', target: '1234567890' },
    ],
    ['/RollBack production', { kind: 'rollback', environment: 'production', target: undefined }],
    // /approve
    ['/approve', { kind: 'approve', environment: undefined }],
    ['/approve production', { kind: 'approve', environment: 'production' }],
    ['/Approve   production  ', { kind: 'approve', environment: 'production' }],
    // /reject
    ['/reject', { kind: 'reject', environment: undefined, reason: undefined }],
    ['/reject production', { kind: 'reject', environment: 'production', reason: undefined }],
    [
      '/reject production tests are failing',
      { kind: 'reject', environment: 'production', reason: 'tests are failing' },
    ],
    [
      '/reject production "smoke tests failed"',
      { kind: 'reject', environment: 'production', reason: 'smoke tests failed' },
    ],
    [
      `/reject production we're not ready`,
      { kind: 'reject', environment: 'production', reason: "we're not ready" },
    ],
    ['/reject production "a" and "b"', { kind: 'reject', environment: 'production', reason: '"a" and "b"' }],
    [
      '/reject production  spaced    out  ',
      { kind: 'reject', environment: 'production', reason: 'spaced    out' },
    ],
    // /lock
    ['/lock production', { kind: 'lock', environment: 'production', reason: undefined }],
    [
      '/lock production "release freeze"',
      { kind: 'lock', environment: 'production', reason: 'release freeze' },
    ],
    [
      `/lock production 'release freeze'`,
      { kind: 'lock', environment: 'production', reason: 'release freeze' },
    ],
    [
      '/lock production release freeze',
      { kind: 'lock', environment: 'production', reason: 'release freeze' },
    ],
    ['/lock production "  padded  "', { kind: 'lock', environment: 'production', reason: 'padded' }],
    ['/lock production ""', { kind: 'lock', environment: 'production', reason: undefined }],
    [`/lock production 'say "hi"'`, { kind: 'lock', environment: 'production', reason: 'say "hi"' }],
    [`/lock production "it's frozen"`, { kind: 'lock', environment: 'production', reason: "it's frozen" }],
    ['/lock production --force', { kind: 'lock', environment: 'production', reason: '--force' }],
    ['/lock production key=value', { kind: 'lock', environment: 'production', reason: 'key=value' }],
    // /unlock, /status, /help
    ['/unlock production', { kind: 'unlock', environment: 'production' }],
    ['/status', { kind: 'status', environment: undefined }],
    ['/status staging', { kind: 'status', environment: 'staging' }],
    ['/help', { kind: 'help' }],
    ['/HELP', { kind: 'help' }],
  ])('reads %j as the command it names', (body, command) => {
    expect(parseComment(body)).toEqual({ kind: 'command', command, line: body.trim() });
  });

  test.each([
    '  /deploy staging  ',
    '\t/deploy staging',
    '\n\n/deploy staging',
    '\n   \n/deploy staging\nplease, and thanks',
    '\r\n\r\n/deploy staging\r\nmore text',
    '/deploy staging\r',
    '\r/deploy staging\r/lock production',
    '/deploy staging\n/lock production',
    '/deploy staging\n> a quote below',
    '/deploy staging\n```\ncode below\n```',
  ])('takes only the first non-empty line of %j, trimmed', (body) => {
    expect(parseComment(body)).toEqual({
      kind: 'command',
      command: deploy('staging'),
      line: '/deploy staging',
    });
  });

  test('keeps the command line as the user wrote it', () => {
    expect(parseComment('\n  /Deploy   staging  "main"  \nthanks')).toEqual({
      kind: 'command',
      command: deploy('staging', { ref: 'main' }),
      line: '/Deploy   staging  "main"',
    });
  });

  test('keeps a __proto__ parameter as data without touching the prototype', () => {
    const parsed = parseComment('/deploy staging __proto__=polluted constructor=x');
    if (parsed.kind !== 'command' || parsed.command.kind !== 'deploy') throw new Error('expected a deploy');
    const { params } = parsed.command;
    expect(Object.entries(params)).toEqual([
      ['__proto__', 'polluted'],
      ['constructor', 'x'],
    ]);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
  });
});

describe('parseComment: known commands used wrongly', () => {
  test.each([
    // /deploy: environment
    ['/deploy', 'deploy', 'the environment is missing'],
    ['/DEPLOY', 'deploy', 'the environment is missing'],
    ['/deploy --dry-run staging', 'deploy', 'name the environment before `--dry-run`'],
    [
      '/deploy --force staging',
      'deploy',
      '`--force` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    ['/deploy ""', 'deploy', 'the environment name is empty'],
    [`/deploy ${ENV_255}x`, 'deploy', 'an environment name has at most 255 characters; this one has 256'],
    [
      '/deploy prod/eu',
      'deploy',
      '`prod/eu` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy "pro duction"',
      'deploy',
      '`pro duction` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy .hidden',
      'deploy',
      '`.hidden` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy _prod',
      'deploy',
      '`_prod` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy prod\u0001',
      'deploy',
      '`prod` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy prödüction',
      'deploy',
      '`prödüction` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    [
      '/deploy a..b',
      'deploy',
      '`a..b` is not an environment name: it must not contain `..` or end with `.` or `.lock`',
    ],
    [
      '/deploy prod.',
      'deploy',
      '`prod.` is not an environment name: it must not contain `..` or end with `.` or `.lock`',
    ],
    [
      '/deploy prod.lock',
      'deploy',
      '`prod.lock` is not an environment name: it must not contain `..` or end with `.` or `.lock`',
    ],
    // /deploy: refs, by git-check-ref-format's rules
    ['/deploy staging a..b', 'deploy', '`a..b` is not a valid git ref: it cannot contain `..`'],
    ['/deploy staging "a b"', 'deploy', '`a b` is not a valid git ref: it cannot contain a space'],
    ['/deploy staging HEAD~1', 'deploy', '`HEAD~1` is not a valid git ref: it cannot contain `~`'],
    ['/deploy staging main^', 'deploy', '`main^` is not a valid git ref: it cannot contain `^`'],
    ['/deploy staging a:b', 'deploy', '`a:b` is not a valid git ref: it cannot contain `:`'],
    ['/deploy staging what?', 'deploy', '`what?` is not a valid git ref: it cannot contain `?`'],
    ['/deploy staging feature/*', 'deploy', '`feature/*` is not a valid git ref: it cannot contain `*`'],
    ['/deploy staging a[1', 'deploy', '`a[1` is not a valid git ref: it cannot contain `[`'],
    ['/deploy staging a\\b', 'deploy', '`a\\b` is not a valid git ref: it cannot contain `\\`'],
    [
      '/deploy staging a\u0007b',
      'deploy',
      '`a b` is not a valid git ref: it cannot contain control characters',
    ],
    [
      '/deploy staging a\u007fb',
      'deploy',
      '`a b` is not a valid git ref: it cannot contain control characters',
    ],
    ['/deploy staging /main', 'deploy', '`/main` is not a valid git ref: it cannot start or end with `/`'],
    ['/deploy staging main/', 'deploy', '`main/` is not a valid git ref: it cannot start or end with `/`'],
    ['/deploy staging main.', 'deploy', '`main.` is not a valid git ref: it cannot end with `.`'],
    ['/deploy staging feature//x', 'deploy', '`feature//x` is not a valid git ref: it cannot contain `//`'],
    [
      '/deploy staging feature/.hidden',
      'deploy',
      '`feature/.hidden` is not a valid git ref: no part between slashes can start with `.`',
    ],
    [
      '/deploy staging .main',
      'deploy',
      '`.main` is not a valid git ref: no part between slashes can start with `.`',
    ],
    [
      '/deploy staging main.lock',
      'deploy',
      '`main.lock` is not a valid git ref: no part between slashes can end with `.lock`',
    ],
    [
      '/deploy staging main.lock/x',
      'deploy',
      '`main.lock/x` is not a valid git ref: no part between slashes can end with `.lock`',
    ],
    ['/deploy staging HEAD@{1}', 'deploy', '`HEAD@{1}` is not a valid git ref: it cannot contain `@{`'],
    ['/deploy staging @', 'deploy', '`@` is not a valid git ref: it cannot be `@` alone'],
    // /deploy: arguments
    ['/deploy staging main develop', 'deploy', '`develop` is a second ref; a deploy takes at most one'],
    [
      `/deploy staging main ${'x'.repeat(100)}`,
      'deploy',
      `\`${'x'.repeat(59)}…\` is a second ref; a deploy takes at most one`,
    ],
    [
      '/deploy staging --force',
      'deploy',
      '`--force` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    ['/deploy staging -n', 'deploy', '`-n` is not an option; the only option is `--dry-run`, for `/deploy`'],
    [
      '/deploy staging --dry-run=true',
      'deploy',
      '`--dry-run=true` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    [
      '/deploy staging \u2014force',
      'deploy',
      '`\u2014force` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    ['/deploy staging a=1 a=2', 'deploy', 'parameter `a` is given twice'],
    [
      '/deploy staging 1a=x',
      'deploy',
      '`1a` is not a parameter name: start with a letter or `_`, then use letters, digits, `_`, `.` and `-`',
    ],
    [
      '/deploy staging =x',
      'deploy',
      '` ` is not a parameter name: start with a letter or `_`, then use letters, digits, `_`, `.` and `-`',
    ],
    [
      '/deploy staging feature/x=y',
      'deploy',
      '`feature/x` is not a parameter name: start with a letter or `_`, then use letters, digits, `_`, `.` and `-`',
    ],
    ['/deploy staging reason="db migration', 'deploy', 'a " quote is never closed'],
    [`/deploy staging don't`, 'deploy', "a ' quote is never closed"],
    ['/deploy "staging', 'deploy', 'a " quote is never closed'],
    // /rollback
    ['/rollback', 'rollback', 'the environment is missing'],
    ['/rollback production 1.0 2.0', 'rollback', 'unexpected argument `2.0`'],
    [
      '/rollback production --to 1.0',
      'rollback',
      '`--to` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    [
      '/rollback production release/1.0',
      'rollback',
      '`release/1.0` is not a version or deployment id: use letters, digits, `.`, `_`, `+` and `-` (at most 128)',
    ],
    [
      `/rollback production ${'1'.repeat(129)}`,
      'rollback',
      `\`${'1'.repeat(59)}…\` is not a version or deployment id: use letters, digits, \`.\`, \`_\`, \`+\` and \`-\` (at most 128)`,
    ],
    // /approve, /reject
    ['/approve production now', 'approve', 'unexpected argument `now`'],
    ['/approve --all', 'approve', '`--all` is not an option; the only option is `--dry-run`, for `/deploy`'],
    ['/approve "staging', 'approve', 'a " quote is never closed'],
    ['/reject production "smoke tests', 'reject', 'a " quote is never closed'],
    [
      '/reject pro/duction because',
      'reject',
      '`pro/duction` is not an environment name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit',
    ],
    // /lock, /unlock, /status, /help
    ['/lock', 'lock', 'the environment is missing'],
    ['/lock production "release freeze', 'lock', 'a " quote is never closed'],
    [`/lock production 'tis the season`, 'lock', "a ' quote is never closed"],
    [
      '/lock --dry-run',
      'lock',
      '`--dry-run` is not an option; the only option is `--dry-run`, for `/deploy`',
    ],
    ['/unlock', 'unlock', 'the environment is missing'],
    ['/unlock production now', 'unlock', 'unexpected argument `now`'],
    ['/status production extra', 'status', 'unexpected argument `extra`'],
    ['/help me', 'help', 'unexpected argument `me`'],
    ['/Help deploy', 'help', 'unexpected argument `deploy`'],
  ])('refuses %j as /%s: %s', (body, name, problem) => {
    expect(parseComment(body)).toEqual({
      kind: 'invalid',
      name,
      problem,
      usage: COMMAND_USAGE[name as Command['kind']],
    });
  });
});

describe('parseComment: unknown commands', () => {
  test.each([
    ['/deplyo staging', 'deplyo', 'deploy'],
    ['/Deplyo staging', 'Deplyo', 'deploy'],
    ['/depoly', 'depoly', 'deploy'],
    ['/dploy', 'dploy', 'deploy'],
    ['/deploi', 'deploi', 'deploy'],
    ['/deploy2 staging', 'deploy2', 'deploy'],
    ['/redeploy', 'redeploy', 'deploy'],
    ['/rolback production', 'rolback', 'rollback'],
    ['/rollbak', 'rollbak', 'rollback'],
    ['/aprove', 'aprove', 'approve'],
    ['/approved', 'approved', 'approve'],
    ['/rejet', 'rejet', 'reject'],
    ['/lok production', 'lok', 'lock'],
    ['/unlok', 'unlok', 'unlock'],
    ['/stats', 'stats', 'status'],
    ['/stat', 'stat', 'status'],
    ['/hlep', 'hlep', 'help'],
    ['/halp', 'halp', 'help'],
    ['/merge', 'merge', undefined],
    ['/shipit', 'shipit', undefined],
    ['/deploy-all staging', 'deploy-all', undefined],
    ['/cc @octocat', 'cc', undefined],
  ])('answers %j as the unknown command %j, suggesting %j', (body, name, suggestion) => {
    expect(parseComment(body)).toEqual({ kind: 'unknown', name, suggestion });
  });
});

describe('parseComment: comments that are not commands', () => {
  test.each([
    '',
    '   ',
    '\n\r\n\t\n',
    'LGTM',
    'please /deploy staging',
    '> /deploy staging',
    '>/deploy staging',
    '  > /deploy staging',
    '> quoted reply\n/deploy staging',
    '```\n/deploy staging\n```',
    '```sh\n/deploy staging\n```',
    '~~~\n/deploy staging\n~~~',
    '    ```\n/deploy staging',
    '`/deploy staging`',
    'Thanks!\n/deploy staging',
    '/',
    '/ deploy staging',
    '//deploy staging',
    '/usr/bin/env node',
    '/deploy/staging',
    '/deploy, please',
    '/deploy?',
    '/deploy: staging',
    'https://example.com/deploy',
    '/123',
    '/_deploy',
    '/déploy staging',
  ])('ignores %j', (body) => {
    expect(parseComment(body)).toEqual({ kind: 'none' });
  });
});

describe('renderCommand', () => {
  test.each<[Command, string]>([
    [deploy('staging'), '/deploy staging'],
    [
      deploy('staging', { ref: 'main', dryRun: true, params: { replicas: '3', reason: 'db migration' } }),
      '/deploy staging main --dry-run replicas=3 reason="db migration"',
    ],
    [deploy('staging', { params: { note: '' } }), '/deploy staging note=""'],
    [deploy('staging', { params: { note: `it's "x"` } }), `/deploy staging note="it's "'"'"x"'"'`],
    [deploy('staging', { ref: "it's" }), `/deploy staging "it's"`],
    [deploy('staging', { ref: 'a"b' }), `/deploy staging "a"'"'"b"`],
    [{ kind: 'rollback', environment: 'production', target: undefined }, '/rollback production'],
    [{ kind: 'rollback', environment: 'production', target: '1.4.0' }, '/rollback production 1.4.0'],
    [{ kind: 'approve', environment: undefined }, '/approve'],
    [{ kind: 'approve', environment: 'production' }, '/approve production'],
    [{ kind: 'reject', environment: undefined, reason: undefined }, '/reject'],
    [
      { kind: 'reject', environment: 'production', reason: "we're not ready" },
      "/reject production we're not ready",
    ],
    [{ kind: 'lock', environment: 'production', reason: undefined }, '/lock production'],
    [
      { kind: 'lock', environment: 'production', reason: 'release freeze' },
      '/lock production release freeze',
    ],
    [{ kind: 'lock', environment: 'production', reason: '"a" and "b"' }, '/lock production "a" and "b"'],
    [{ kind: 'lock', environment: 'production', reason: '"quoted"' }, `/lock production '"quoted"'`],
    [{ kind: 'lock', environment: 'production', reason: "'quoted'" }, `/lock production "'quoted'"`],
    [{ kind: 'lock', environment: 'production', reason: '"' }, `/lock production '"'`],
    [{ kind: 'unlock', environment: 'production' }, '/unlock production'],
    [{ kind: 'status', environment: undefined }, '/status'],
    [{ kind: 'status', environment: 'staging' }, '/status staging'],
    [{ kind: 'help' }, '/help'],
  ])('renders %j as %s, which parses back to it', (command, line) => {
    expect(renderCommand(command)).toBe(line);
    expect(parseComment(line)).toEqual({ kind: 'command', command, line });
  });
});

describe('renderHelp', () => {
  test('lists every command with its usage, /approve and /reject among them', () => {
    const help = renderHelp(['staging']);
    for (const kind of [
      'deploy',
      'rollback',
      'approve',
      'reject',
      'lock',
      'unlock',
      'status',
      'help',
    ] as const)
      expect(help).toContain(`| \`${COMMAND_USAGE[kind]}\` |`);
    expect(help).not.toContain('Coming in a later version');
  });

  test("names the repository's environments", () => {
    expect(renderHelp(['staging', 'production'])).toContain('**Environments (2):** `staging`, `production`');
  });

  test('shows an environment name containing backticks literally', () => {
    expect(renderHelp(['we`ird'])).toContain('**Environments (1):** ``we`ird``');
    expect(renderHelp(['`edge'])).toContain('**Environments (1):** `` `edge ``');
  });

  test('3,000 environments with 255-character names: a screenful of them, how many more, under the limit', () => {
    const names = Array.from({ length: 3_000 }, (_, index) =>
      `env-${index}-${'x'.repeat(255)}`.slice(0, 255),
    );
    const help = renderHelp(names);
    expect(help.length).toBeLessThan(8_000);
    expect(help).toContain('**Environments (3,000):** `env-0-');
    const shown = (help.match(/`env-\d+-x+…?`/g) ?? []).length;
    expect(shown).toBeGreaterThan(0);
    expect(help).toMatch(new RegExp(`and ${(3_000 - shown).toLocaleString('en-US')} more$`));
    expect(liveMarkup(help)).toEqual([]);
  });

  test('3,000 short environment names stay under the limit too', () => {
    const help = renderHelp(Array.from({ length: 3_000 }, (_, index) => `e${index}`));
    expect(help.length).toBeLessThan(8_000);
    expect(help).toMatch(/and [\d,]+ more$/);
  });

  test('points to .github/rollgate.yml when there are no environments', () => {
    const help = renderHelp([]);
    expect(help).toContain('`.github/rollgate.yml`');
    expect(help).not.toContain('**Environments');
  });
});

/** mulberry32: a tiny seeded PRNG, so every run fuzzes the same comments. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Biased towards what the grammar cares about: slashes, spaces, quotes, '=', dashes, newlines, fences, '>'.
const NOISE = [
  ...['/', '/', '/', ' ', ' ', ' ', ' ', '\t', '"', '"', "'", "'", '=', '=', '-', '-', '--'],
  ...['\n', '\n', '\r\n', '\r', '`', '```', '~~~', '>', '> ', '.', '..', '@{', '~', '^', ':', '*', '\\'],
  ...['a', 'd', 'e', 'k', 'l', 'o', 'p', 'y', 'S', 'Z', '0', '7', '_', 'é', '\u2014', '\u00a0'],
];
const NAMES = [
  ...['deploy', 'deploy', 'Deploy', 'rollback', 'approve', 'reject', 'lock', 'LOCK', 'unlock', 'status'],
  ...['help', 'deplyo', 'rolback', 'hepl', 'stauts', 'usr/bin', 'x'],
];
/** Words a command takes: environments, refs, versions, options, parameters and reasons. */
const WORDS = [
  ...['staging', 'production', 'Prod.eu-1', 'main', 'feature/x', 'v1.2.3', 'abc1234', '1.0.0+build'],
  ...['--dry-run', '\u2014dry-run', 'k=v', 'key="a b"', "note='it is'", 'x=', 'a=1', 'b=2', '__proto__=1'],
  ...['"release freeze"', "we're", '"a"b', '"it\'s"', '\'say "hi"\'', '1234', '""', "''"],
  ...['\'"quoted"\'', '"\'q\'"', `k='say "hi"'`, `"feat'x"`],
];
/** Words that break a command: bad names and refs, stray quotes, unknown options, huge tokens. */
const TRICKY_WORDS = [
  ...['--force', '"', "'", '=', 'a..b', 'main.lock', '@', 'HEAD~1', '-', '.', 'a=1', 'x'.repeat(300)],
];
const SEPARATORS = [' ', ' ', ' ', '  ', '\t', '\u00a0'];
const PREFIXES = [
  ...['', '', '', '', '', '', '', '', ' ', '\t', '\n', '\r\n \n'],
  ...['> ', '```\n', 'hi\n'],
];
const ENVIRONMENTS = ['staging', 'production', 'Prod.eu-1'];

const WHITESPACE = [' ', '\t', '\n', '\r\n', '\n\n'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** Up to `maxLength` items picked at random, joined. */
function sequence(random: () => number, items: readonly string[], maxLength: number): string {
  return Array.from({ length: Math.floor(random() * maxLength) }, () => pick(random, items)).join('');
}

/** Either noise, or a `/name` with arguments, wrapped in what real comments carry around a command. */
function randomComment(random: () => number): string {
  if (random() < 0.2) return sequence(random, NOISE, 40);
  const words = Array.from({ length: Math.floor(random() ** 2 * 5) }, (_, index) => {
    const words = index === 0 && random() < 0.7 ? ENVIRONMENTS : random() < 0.1 ? TRICKY_WORDS : WORDS;
    return pick(random, SEPARATORS) + pick(random, words);
  });
  const tail = random() < 0.1 ? sequence(random, NOISE, 8) : '';
  const lines = random() < 0.4 ? `\n${sequence(random, NOISE, 30)}` : '';
  return `${pick(random, PREFIXES)}/${pick(random, NAMES)}${words.join('')}${tail}${lines}`;
}

describe('parseComment on random comments', () => {
  const random = seededRandom(20_260_501);
  const comments = Array.from({ length: 5000 }, () => randomComment(random));
  const whitespace = (): string => pick(random, WHITESPACE) + sequence(random, WHITESPACE, 3);
  const parsed = comments.map((body) => ({ body, result: parseComment(body) }));

  test('covers every kind of result and every command', () => {
    const kinds = new Set(parsed.map(({ result }) => result.kind));
    const commands = new Set<string>(
      parsed.flatMap(({ result }) => (result.kind === 'command' ? [result.command.kind] : [])),
    );
    expect([...kinds].sort()).toEqual(['command', 'invalid', 'none', 'unknown']);
    expect(Object.keys(COMMAND_USAGE).filter((kind) => !commands.has(kind))).toEqual([]);
  });

  test('never throws and always answers one of the four kinds', () => {
    const kinds: ReadonlySet<ParsedComment['kind']> = new Set(['none', 'command', 'invalid', 'unknown']);
    for (const { body, result } of parsed)
      expect({ body, known: kinds.has(result.kind) }).toEqual({ body, known: true });
  });

  test('answers only comments that start with a slash', () => {
    for (const { body, result } of parsed) {
      if (result.kind !== 'none')
        expect({ body, start: body.trim().charAt(0) }).toEqual({ body, start: '/' });
    }
  });

  test('quotes a usage line for the command it names and suggests only real commands', () => {
    for (const { body, result } of parsed) {
      if (result.kind === 'invalid') {
        expect({ body, usage: result.usage }).toEqual({
          body,
          usage: COMMAND_USAGE[result.name as Command['kind']],
        });
      }
      if (result.kind === 'unknown' && result.suggestion !== undefined) {
        expect({ body, known: Object.hasOwn(COMMAND_USAGE, result.suggestion) }).toEqual({
          body,
          known: true,
        });
      }
    }
  });

  test('reads a command back from its canonical line', () => {
    for (const { body, result } of parsed) {
      if (result.kind !== 'command') continue;
      const line = renderCommand(result.command);
      expect({ body, reparsed: parseComment(line) }).toEqual({
        body,
        reparsed: { kind: 'command', command: result.command, line },
      });
    }
  });

  test('ignores whitespace around the comment', () => {
    for (const { body, result } of parsed) {
      const padded = `${whitespace()}${body}${whitespace()}`;
      expect({ padded, result: parseComment(padded) }).toEqual({ padded, result });
    }
  });

  test('ignores lines after the first non-empty one', () => {
    for (const { body, result } of parsed) {
      if (body.trim() === '') continue;
      const extended = `${body}\n${randomComment(random)}`;
      expect({ extended, result: parseComment(extended) }).toEqual({ extended, result });
    }
  });
});

describe('parseComment under hostile input: linear time, capped values, problems as Markdown', () => {
  /** Runs `parse` and returns how long it took, in milliseconds. */
  function timed(body: string): { result: ParsedComment; ms: number } {
    const started = performance.now();
    const result = parseComment(body);
    return { result, ms: performance.now() - started };
  }

  test.each<[string, string]>([
    ['a 1 MB comment of one word', `/deploy staging ${'a'.repeat(1_000_000)}`],
    ['a 1 MB reason', `/lock staging ${'freeze '.repeat(150_000)}`],
    ['100,000 double quotes', `/deploy staging ${'"'.repeat(100_000)}`],
    ['100,000 quotes, unbalanced', `/lock staging "${'"'.repeat(99_999)}`],
    ['100,000 alternating quotes', `/deploy staging k=${`"'`.repeat(50_000)}`],
    ['nested backticks', `/deploy staging ${'`'.repeat(50_000)}x${'`'.repeat(50_000)}`],
    ['1 MB of blank lines before a command', `${'\n'.repeat(1_000_000)}/deploy staging`],
    ['a 1 MB command name', `/${'d'.repeat(1_000_000)}`],
    ['100,000 words', `/deploy staging ${'a=1 '.repeat(100_000)}`],
    ['100,000 spaces then a word', `/deploy staging${' '.repeat(100_000)}main`],
  ])('%s: answered within 250 ms, without throwing', (_name, body) => {
    const { result, ms } = timed(body);
    expect(ms).toBeLessThan(250);
    if (result.kind === 'invalid') {
      expect(result.problem.length).toBeLessThan(400);
      expect(liveMarkup(result.problem)).toEqual([]);
    }
  });

  test.each<[string, string]>([
    [
      `/lock staging ${'r'.repeat(257)}`,
      'the reason has 257 characters; at most 256 fit — say more in the pull request',
    ],
    [
      `/deploy staging k=${'v'.repeat(1_025)}`,
      'the value of `k` has 1025 characters; a parameter value has at most 1024',
    ],
    [
      `/deploy staging ${'k'.repeat(65)}=1`,
      `a parameter name has at most 64 characters; \`${'k'.repeat(59)}…\` has 65`,
    ],
    [
      `/deploy staging ${Array.from({ length: 33 }, (_, index) => `p${index}=1`).join(' ')}`,
      'a deploy takes at most 32 parameters',
    ],
    [
      `/deploy staging ${'b'.repeat(256)}`,
      `\`${'b'.repeat(59)}…\` is not a valid git ref: it has 256 characters; Rollgate takes at most 255`,
    ],
  ])('caps %#: %s', (body, problem) => {
    expect(parseComment(body)).toMatchObject({ kind: 'invalid', problem });
  });

  test.each([
    '/deploy staging main @octo-org/sre<img>',
    '/deploy staging main <!--x-->',
    '/deploy staging [x](https://evil.example)',
    '/deploy staging main a`b|c',
    '/deploy \u202estaging',
    '/deploy staging main extra\u200b@everyone',
    '/rollback staging ![x](y)',
    '/status @monalisa',
    '/help <b>',
    '/deploy staging --<script>',
    '/deploy staging <img>=1',
  ])('the problem with %j echoes the user only inside code spans', (body) => {
    const result = parseComment(body);
    expect(result.kind).toBe('invalid');
    if (result.kind === 'invalid') expect(liveMarkup(result.problem)).toEqual([]);
  });
});
