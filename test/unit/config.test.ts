import { describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import formatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { RollgateError } from '../../src/errors.ts';
import { closestMatch, editDistance } from '../../src/config/closest.ts';
import { ConfigError, parseConfigText, validateConfigObject } from '../../src/config/parse.ts';
import schema from '../../src/config/rollgate.schema.json' with { type: 'json' };
import type { EnvironmentConfig, RollgateConfig } from '../../src/config/types.ts';

const addFormats = formatsModule.default;

/** The example of PRODUCT.md, section 3, as a user would commit it. */
const PRODUCT_EXAMPLE = `environments:
  staging:
    url: https://staging.example.com
    auto_deploy: [release]            # deploy every published release here
  production:
    url: https://example.com
    production: true
    requires:
      approvals: 2                    # /approve from distinct eligible users
      approvers: ["@acme/sre", "octocat"]
      self_approval: false
      checks: success                 # every check on the ref must have passed
      deployed_to: staging            # the same sha must be live and healthy there first
      branches: [main]
    windows:
      - { days: Mon-Fri, hours: "09:00-17:00", timezone: Europe/Berlin }
    freezes:
      - { from: 2026-12-20, to: 2027-01-05, reason: Holiday freeze }
commands:
  permission: write
`;

/** An environment as the App sees it when the file gives it no keys. */
function defaultEnvironment(name: string): EnvironmentConfig {
  return {
    name,
    url: undefined,
    autoDeploy: [],
    production: false,
    transient: false,
    requires: {
      approvals: 0,
      approvers: [],
      selfApproval: false,
      checks: 'success',
      deployedTo: undefined,
      branches: [],
    },
    windows: [],
    freezes: [],
  };
}

const EMPTY_CONFIG: RollgateConfig = {
  environments: new Map(),
  commands: { permission: 'write', allowForks: false },
  extends: undefined,
};

/** The plain object Probot's `context.config` loads for `text` (its own parse: YAML 1.2, `|| {}`). */
function probotConfigOf(text: string): unknown {
  const value: unknown = parseYaml(text, { logLevel: 'error' });
  return value ?? {};
}

/** Runs `run` expecting a ConfigError, and returns it for the caller's assertions. */
function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The environment `name` of a configuration parsed from `text`. */
function environmentOf(text: string, name: string): EnvironmentConfig {
  const environment = parseConfigText(text).environments.get(name);
  if (environment === undefined) throw new Error(`no environment ${name}`);
  return environment;
}

describe('parseConfigText with the PRODUCT.md example', () => {
  test('yields every environment, in file order, with the defaults applied', () => {
    const config = parseConfigText(PRODUCT_EXAMPLE);
    expect([...config.environments.keys()]).toEqual(['staging', 'production']);
    expect(config).toEqual({
      environments: new Map([
        [
          'staging',
          { ...defaultEnvironment('staging'), url: 'https://staging.example.com', autoDeploy: ['release'] },
        ],
        [
          'production',
          {
            name: 'production',
            url: 'https://example.com',
            autoDeploy: [],
            production: true,
            transient: false,
            requires: {
              approvals: 2,
              approvers: [
                { kind: 'team', text: '@acme/sre', org: 'acme', slug: 'sre' },
                { kind: 'user', text: 'octocat', login: 'octocat' },
              ],
              selfApproval: false,
              checks: 'success',
              deployedTo: 'staging',
              branches: ['main'],
            },
            windows: [
              {
                days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'],
                startMinute: 540,
                endMinute: 1020,
                timezone: 'Europe/Berlin',
                label: 'Mon-Fri 09:00-17:00 Europe/Berlin',
              },
            ],
            freezes: [{ from: '2026-12-20', to: '2027-01-05', reason: 'Holiday freeze', timezone: 'UTC' }],
          },
        ],
      ]),
      commands: { permission: 'write', allowForks: false },
      extends: undefined,
    });
  });

  test('satisfies the JSON Schema as it stands, for editors that check it', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(probotConfigOf(PRODUCT_EXAMPLE))).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });
});

describe('empty configurations', () => {
  test.each([
    ['an empty file', ''],
    ['only whitespace', '  \n\n'],
    ['only comments', '# Rollgate: nothing deployed from here yet\n'],
    ['an empty document marker', '---\n'],
    ['an empty mapping', '{}'],
    ['no environments', 'environments: {}\n'],
    ['empty commands', 'commands: {}\n'],
  ])('%s is a configuration without environments', (_name, text) => {
    expect(parseConfigText(text)).toEqual(EMPTY_CONFIG);
  });
});

describe('defaults', () => {
  const bare = environmentOf('environments:\n  staging: {}\n', 'staging');

  test('an environment with no keys gets every default', () => {
    expect(bare).toEqual(defaultEnvironment('staging'));
  });

  test('a window with no keys is every day, all day, in UTC', () => {
    const [window] = environmentOf('environments:\n  staging:\n    windows: [{}]\n', 'staging').windows;
    expect(window).toEqual({
      days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
      startMinute: 0,
      endMinute: 1440,
      timezone: 'UTC',
      label: 'Mon-Sun 00:00-24:00 UTC',
    });
  });

  const definitions = schema.definitions;
  test.each([
    [
      'commands.permission',
      schema.properties.commands.properties.permission.default,
      EMPTY_CONFIG.commands.permission,
    ],
    ['commands.allow_forks', schema.properties.commands.properties.allow_forks.default, false],
    ['auto_deploy', definitions.environment.properties.auto_deploy.default, bare.autoDeploy],
    ['production', definitions.environment.properties.production.default, bare.production],
    ['transient', definitions.environment.properties.transient.default, bare.transient],
    ['windows', definitions.environment.properties.windows.default, bare.windows],
    ['freezes', definitions.environment.properties.freezes.default, bare.freezes],
    ['requires.approvals', definitions.requirements.properties.approvals.default, bare.requires.approvals],
    [
      'requires.self_approval',
      definitions.requirements.properties.self_approval.default,
      bare.requires.selfApproval,
    ],
    ['requires.checks', definitions.requirements.properties.checks.default, bare.requires.checks],
    ['windows[].days', definitions.window.properties.days.default, 'Mon-Sun'],
    ['windows[].hours', definitions.window.properties.hours.default, '00:00-24:00'],
    ['windows[].timezone', definitions.window.properties.timezone.default, 'UTC'],
    ['freezes[].timezone', definitions.freeze.properties.timezone.default, 'UTC'],
  ])('%s: the schema documents the default the parser applies', (_key, documented, applied) => {
    expect(applied).toEqual(documented);
  });
});

describe('valid values', () => {
  test.each([
    ['Mon-Fri', ['Mon', 'Tue', 'Wed', 'Thu', 'Fri']],
    ['Mon,Wed', ['Mon', 'Wed']],
    ['Wed,Mon,Wed', ['Mon', 'Wed']],
    ['Mon-Wed,Fri', ['Mon', 'Tue', 'Wed', 'Fri']],
    ['Sat-Sun', ['Sat', 'Sun']],
    ['Sun-Thu', ['Mon', 'Tue', 'Wed', 'Thu', 'Sun']],
    ['Fri-Mon', ['Mon', 'Fri', 'Sat', 'Sun']],
    ['Tue-Tue', ['Tue']],
    ['Sun', ['Sun']],
  ])('days %j are %j', (days, expected) => {
    const text = `environments:\n  prod:\n    windows:\n      - { days: "${days}" }\n`;
    expect(environmentOf(text, 'prod').windows[0]?.days).toEqual(expected);
  });

  test.each([
    ['09:00-17:00', 540, 1020],
    ['9:00-17:30', 540, 1050],
    ['00:00-24:00', 0, 1440],
    ['23:00-23:59', 1380, 1439],
    ['00:00-00:01', 0, 1],
    ['22:00-06:00', 1320, 360],
    ['23:30-00:00', 1410, 0],
    ['17:00-09:00', 1020, 540],
  ])('hours %j are minutes %d to %d', (hours, startMinute, endMinute) => {
    const text = `environments:\n  prod:\n    windows:\n      - { hours: "${hours}" }\n`;
    expect(environmentOf(text, 'prod').windows[0]).toMatchObject({ startMinute, endMinute });
  });

  test.each(['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'Asia/Calcutta', 'UTC', 'Etc/GMT+1'])(
    'takes the time zone %j as written',
    (timezone) => {
      const text = `environments:\n  prod:\n    windows:\n      - { timezone: ${timezone} }\n`;
      expect(environmentOf(text, 'prod').windows[0]?.timezone).toBe(timezone);
    },
  );

  test.each([
    ['a user', 'octocat', { kind: 'user', text: 'octocat', login: 'octocat' }],
    ['a user with a hyphen', 'mona-lisa', { kind: 'user', text: 'mona-lisa', login: 'mona-lisa' }],
    ['a team', '@acme/sre', { kind: 'team', text: '@acme/sre', org: 'acme', slug: 'sre' }],
    [
      'a team with a dotted slug',
      '@acme-corp/platform.eu',
      { kind: 'team', text: '@acme-corp/platform.eu', org: 'acme-corp', slug: 'platform.eu' },
    ],
  ])('approvers takes %s', (_name, approver, expected) => {
    const text = `environments:\n  prod:\n    requires:\n      approvers: ["${approver}"]\n`;
    expect(environmentOf(text, 'prod').requires.approvers).toEqual([expected]);
  });

  test.each([
    ['an http URL', 'url: http://10.0.0.1:8080/', { url: 'http://10.0.0.1:8080/' }],
    ['both auto_deploy events', 'auto_deploy: [release, push]', { autoDeploy: ['release', 'push'] }],
    ['a transient environment', 'transient: true', { transient: true }],
    [
      'a freeze without a reason',
      'freezes: [{ from: 2026-12-24, to: 2026-12-24 }]',
      { freezes: [{ from: '2026-12-24', to: '2026-12-24', reason: undefined, timezone: 'UTC' }] },
    ],
    [
      'a freeze in a time zone',
      'freezes: [{ from: 2026-12-24, to: 2026-12-26, timezone: America/New_York }]',
      {
        freezes: [{ from: '2026-12-24', to: '2026-12-26', reason: undefined, timezone: 'America/New_York' }],
      },
    ],
    [
      'checks none',
      'requires: { checks: none }',
      { requires: { ...defaultEnvironment('x').requires, checks: 'none' } },
    ],
    [
      'branch globs',
      'requires: { branches: [main, "release/*"] }',
      { requires: { ...defaultEnvironment('x').requires, branches: ['main', 'release/*'] } },
    ],
    [
      'as many approvals as users',
      'requires: { approvals: 2, approvers: [a, b] }',
      {
        requires: {
          ...defaultEnvironment('x').requires,
          approvals: 2,
          approvers: [
            { kind: 'user', text: 'a', login: 'a' },
            { kind: 'user', text: 'b', login: 'b' },
          ],
        },
      },
    ],
  ])('accepts %s', (_name, line, expected) => {
    expect(environmentOf(`environments:\n  x:\n    ${line}\n`, 'x')).toMatchObject(expected);
  });

  test('more approvals than listed users are possible when a team is listed', () => {
    const text = 'environments:\n  x:\n    requires: { approvals: 5, approvers: ["@acme/sre", octocat] }\n';
    expect(environmentOf(text, 'x').requires.approvals).toBe(5);
  });

  test('reads commands and _extends', () => {
    const config = parseConfigText(
      '_extends: acme/platform-config\ncommands:\n  permission: maintain\n  allow_forks: true\n',
    );
    expect(config).toEqual({
      ...EMPTY_CONFIG,
      commands: { permission: 'maintain', allowForks: true },
      extends: 'acme/platform-config',
    });
  });

  test('with _extends, deployed_to may name an environment of the base', () => {
    const text = '_extends: .github\nenvironments:\n  production:\n    requires: { deployed_to: staging }\n';
    expect(environmentOf(text, 'production').requires.deployedTo).toBe('staging');
  });

  test('follows YAML anchors and aliases', () => {
    const text = `environments:
  eu:
    requires: &gates { approvals: 1, checks: none }
  us:
    requires: *gates
`;
    const config = parseConfigText(text);
    expect(config.environments.get('us')?.requires).toEqual(config.environments.get('eu')?.requires);
    expect(config.environments.get('us')?.requires).toMatchObject({ approvals: 1, checks: 'none' });
  });

  test.each(['web.eu-1', 'Prod_2', 'a', 'x'.repeat(255)])('takes the environment name %j', (name) => {
    expect([...parseConfigText(`environments:\n  ${name}: {}\n`).environments.keys()]).toEqual([name]);
  });
});

describe('invalid files', () => {
  test.each([
    [
      'approvals as a word',
      'environments:\n  production:\n    requires:\n      approvals: two\n',
      '.github/rollgate.yml:4:18: environments.production.requires.approvals must be a whole number ≥ 0, got "two"',
      '/environments/production/requires/approvals',
      /For example approvals: 2\./,
    ],
    [
      'negative approvals',
      'environments:\n  production:\n    requires: { approvals: -1 }\n',
      '.github/rollgate.yml:3:28: environments.production.requires.approvals must be a whole number ≥ 0, got -1',
      '/environments/production/requires/approvals',
      /How many \/approve comments/,
    ],
    [
      'fractional approvals',
      'environments:\n  production:\n    requires: { approvals: 1.5 }\n',
      '.github/rollgate.yml:3:28: environments.production.requires.approvals must be a whole number ≥ 0, got 1.5',
      '/environments/production/requires/approvals',
      /For example approvals: 2\./,
    ],
    [
      'a URL without a scheme',
      'environments:\n  staging:\n    url: staging.example.com\n',
      '.github/rollgate.yml:3:10: environments.staging.url must be an http(s) URL such as "https://staging.example.com", got "staging.example.com"',
      '/environments/staging/url',
      /environment_url/,
    ],
    [
      'an ftp URL',
      'environments:\n  staging:\n    url: ftp://files.example.com/\n',
      '.github/rollgate.yml:3:10: environments.staging.url must be an http(s) URL such as "https://staging.example.com", got "ftp://files.example.com/"',
      '/environments/staging/url',
      /For example url: "https:\/\/staging\.example\.com"\./,
    ],
    [
      'an unknown auto_deploy event',
      'environments:\n  staging:\n    auto_deploy: [release, tag]\n',
      '.github/rollgate.yml:3:28: environments.staging.auto_deploy[1] must be release, prerelease or push, got "tag"',
      '/environments/staging/auto_deploy/1',
      /An event: 'release', 'prerelease' or 'push'\./,
    ],
    [
      'auto_deploy as a single word',
      'environments:\n  staging:\n    auto_deploy: release\n',
      '.github/rollgate.yml:3:18: environments.staging.auto_deploy must be a list, got "release"',
      '/environments/staging/auto_deploy',
      /For example auto_deploy: \["release"\]\./,
    ],
    [
      'an auto_deploy event twice',
      'environments:\n  staging:\n    auto_deploy: [push, release, push]\n',
      '.github/rollgate.yml:3:34: environments.staging.auto_deploy lists "push" twice',
      '/environments/staging/auto_deploy/2',
      /Remove one of them\./,
    ],
    [
      'production as yes (YAML 1.2 reads a string)',
      'environments:\n  production:\n    production: yes\n',
      '.github/rollgate.yml:3:17: environments.production.production must be true or false, got "yes"',
      '/environments/production/production',
      /production_environment/,
    ],
    [
      'checks as a boolean',
      'environments:\n  production:\n    requires:\n      checks: true\n',
      '.github/rollgate.yml:4:15: environments.production.requires.checks must be success or none, got true',
      '/environments/production/requires/checks',
      /'none': checks are not looked at/,
    ],
    [
      'an approver with a space',
      'environments:\n  production:\n    requires:\n      approvers: [octocat, "mona lisa"]\n',
      '.github/rollgate.yml:4:28: environments.production.requires.approvers[1] must be text like "@acme/sre" or "octocat", got "mona lisa"',
      '/environments/production/requires/approvers/1',
      /For example "@acme\/sre"\./,
    ],
    [
      'a team without a slug',
      'environments:\n  production:\n    requires:\n      approvers: ["@acme"]\n',
      '.github/rollgate.yml:4:19: environments.production.requires.approvers[0] must be text like "@acme/sre" or "octocat", got "@acme"',
      '/environments/production/requires/approvers/0',
      /A team as '@org\/team-slug', or a user login\./,
    ],
    [
      'an empty approvers list',
      'environments:\n  production:\n    requires:\n      approvers: []\n',
      '.github/rollgate.yml:4:18: environments.production.requires.approvers is an empty list',
      '/environments/production/requires/approvers',
      /List at least one, or remove the key\. Who may approve/,
    ],
    [
      'an empty branches list',
      'environments:\n  production:\n    requires: { branches: [] }\n',
      '.github/rollgate.yml:3:27: environments.production.requires.branches is an empty list',
      '/environments/production/requires/branches',
      /Without this key, any branch may\./,
    ],
    [
      'a branch with a space',
      'environments:\n  production:\n    requires: { branches: ["main branch"] }\n',
      '.github/rollgate.yml:3:28: environments.production.requires.branches[0] must be text like "main" or "release/*", got "main branch"',
      '/environments/production/requires/branches/0',
      /A branch name or a glob/,
    ],
    [
      'deployed_to that is not a name',
      'environments:\n  production:\n    requires: { deployed_to: "staging env" }\n',
      '.github/rollgate.yml:3:30: environments.production.requires.deployed_to must be text like "staging" or "production", got "staging env"',
      '/environments/production/requires/deployed_to',
      /The name of an environment of this file: letters, digits/,
    ],
    [
      'days spelled out',
      'environments:\n  production:\n    windows:\n      - days: Monday-Friday\n',
      '.github/rollgate.yml:4:15: environments.production.windows[0].days must be text like "Mon-Fri" or "Mon,Wed", got "Monday-Friday"',
      '/environments/production/windows/0/days',
      /For example days: "Mon-Fri"\./,
    ],
    [
      'days in lower case',
      'environments:\n  production:\n    windows: [{ days: mon-fri }]\n',
      '.github/rollgate.yml:3:23: environments.production.windows[0].days must be text like "Mon-Fri" or "Mon,Wed", got "mon-fri"',
      '/environments/production/windows/0/days',
      /a range such as 'Mon-Fri'/,
    ],
    [
      'hours without minutes',
      'environments:\n  production:\n    windows: [{ hours: 9-17 }]\n',
      '.github/rollgate.yml:3:24: environments.production.windows[0].hours must be text like "09:00-17:00", got "9-17"',
      '/environments/production/windows/0/hours',
      /24-hour HH:MM/,
    ],
    [
      'hours past midnight',
      'environments:\n  production:\n    windows: [{ hours: "09:00-24:30" }]\n',
      '.github/rollgate.yml:3:24: environments.production.windows[0].hours must be text like "09:00-17:00", got "09:00-24:30"',
      '/environments/production/windows/0/hours',
      /may be 24:00/,
    ],
    [
      'a timezone as a number',
      'environments:\n  production:\n    windows: [{ timezone: 1 }]\n',
      '.github/rollgate.yml:3:27: environments.production.windows[0].timezone must be text, got 1',
      '/environments/production/windows/0/timezone',
      /For example timezone: "Europe\/Berlin"\./,
    ],
    [
      'a freeze without an end',
      'environments:\n  production:\n    freezes:\n      - { from: 2026-12-20, reason: Holiday freeze }\n',
      '.github/rollgate.yml:4:9: environments.production.freezes[0] is missing "to"',
      '/environments/production/freezes/0',
      /Add to \(for example to: "2027-01-05"\): the last day of the freeze \(YYYY-MM-DD\), included\./,
    ],
    [
      'a freeze in block style without a start',
      'environments:\n  production:\n    freezes:\n      - to: 2027-01-05\n        reason: Holiday freeze\n',
      '.github/rollgate.yml:4:9: environments.production.freezes[0] is missing "from"',
      '/environments/production/freezes/0',
      /Add from \(for example from: "2026-12-20"\)/,
    ],
    [
      'a freeze on a day that does not exist',
      'environments:\n  production:\n    freezes: [{ from: 2026-02-30, to: 2026-03-01 }]\n',
      '.github/rollgate.yml:3:23: environments.production.freezes[0].from must be a date as YYYY-MM-DD such as "2026-12-20", got "2026-02-30"',
      '/environments/production/freezes/0/from',
      /The first day of the freeze/,
    ],
    [
      'a freeze date in another format',
      'environments:\n  production:\n    freezes: [{ from: 2026-12-20, to: 05.01.2027 }]\n',
      '.github/rollgate.yml:3:39: environments.production.freezes[0].to must be a date as YYYY-MM-DD such as "2027-01-05", got "05.01.2027"',
      '/environments/production/freezes/0/to',
      /The last day of the freeze/,
    ],
    [
      'requires with its keys commented out',
      'environments:\n  production:\n    requires:\n    #  approvals: 2\n',
      '.github/rollgate.yml:3:5: environments.production.requires must be a mapping of keys to values, got nothing',
      '/environments/production/requires',
      /Indent its keys under "requires:", or remove the line\./,
    ],
    [
      'an environment that is a word',
      'environments:\n  production: yes\n',
      '.github/rollgate.yml:2:15: environments.production must be a mapping of keys to values, got "yes"',
      '/environments/production',
      /One environment: where it is/,
    ],
    [
      'environments as a list',
      'environments:\n  - staging\n  - production\n',
      '.github/rollgate.yml:2:3: environments must be a mapping of keys to values, got a list',
      '/environments',
      /The environments commands and releases deploy to, by name/,
    ],
    [
      'an environment name with a space',
      'environments:\n  "my env": {}\n',
      '.github/rollgate.yml:2:3: environments has an environment named "my env", which is not a valid name',
      '/environments/my env',
      /letters, digits, "\.", "_" and "-" only, at most 255 characters/,
    ],
    [
      'an environment name that is too long',
      `environments:\n  ${'x'.repeat(256)}: {}\n`,
      `.github/rollgate.yml:2:3: environments has an environment named "${'x'.repeat(57)}...", which is not a valid name`,
      `/environments/${'x'.repeat(256)}`,
      /at most 255 characters/,
    ],
    [
      'an unknown permission',
      'commands:\n  permission: writer\n',
      '.github/rollgate.yml:2:15: commands.permission must be read, triage, write, maintain or admin, got "writer"',
      '/commands/permission',
      /For example permission: "write"\./,
    ],
    [
      'allow_forks as a string',
      'commands:\n  allow_forks: "false"\n',
      '.github/rollgate.yml:2:16: commands.allow_forks must be true or false, got "false"',
      '/commands/allow_forks',
      /leave this false unless every fork author is trusted/,
    ],
    [
      'an empty _extends',
      "_extends: ''\n",
      '.github/rollgate.yml:1:11: _extends must be text, got ""',
      '/_extends',
      /Probot reads it/,
    ],
    [
      'a list at the top level',
      '- staging\n- production\n',
      '.github/rollgate.yml:1:1: the file must be a mapping of keys to values, got a list',
      '',
      /Write the keys at the top level: _extends, environments, commands\./,
    ],
    [
      'a word at the top level',
      'rollgate\n',
      '.github/rollgate.yml:1:1: the file must be a mapping of keys to values, got "rollgate"',
      '',
      /Write the keys at the top level/,
    ],
  ])('%s', (_name, text, message, pointer, fix) => {
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.message).toBe(message);
    expect(error.pointer).toBe(pointer);
    expect(error.fix).toMatch(fix);
    expect(error.others).toEqual([]);
  });

  test('puts line and column on the error and says why and how to fix it', () => {
    const error = configErrorOf(() =>
      parseConfigText(
        'environments:\n  production:\n    requires:\n      approvals: two\n',
        'config/rollgate.yml',
      ),
    );
    expect(error).toBeInstanceOf(RollgateError);
    expect(error.name).toBe('ConfigError');
    expect(error).toMatchObject({
      file: 'config/rollgate.yml',
      line: 4,
      column: 18,
      pointer: '/environments/production/requires/approvals',
    });
    expect(error.message).toMatch(/^config\/rollgate\.yml:4:18: /);
    expect(error.why).toMatch(/a gate read the wrong way could let a deploy through/);
    expect(error.fix).toMatch(/JSON Schema \(src\/config\/rollgate\.schema\.json/);
    expect(error.fix).toMatch(/yaml-language-server: \$schema=/);
    expect(error.render()).toBe(`${error.message} ${error.why} ${error.fix}`);
  });

  test('reports every problem of the file, in file order, the first as the error', () => {
    const text = `commands:
  permission: writer
environments:
  production:
    url: example.com
    requires:
      approvals: two
`;
    const error = configErrorOf(() => parseConfigText(text));
    expect([error.message, ...error.others.map((other) => other.message)]).toEqual([
      '.github/rollgate.yml:2:15: commands.permission must be read, triage, write, maintain or admin, got "writer"',
      '.github/rollgate.yml:5:10: environments.production.url must be an http(s) URL such as "https://staging.example.com", got "example.com"',
      '.github/rollgate.yml:7:18: environments.production.requires.approvals must be a whole number ≥ 0, got "two"',
    ]);
    expect(error.render()).toBe(
      `${error.message} ${error.why} ${error.fix}\nAlso:\n- ${error.others[0]?.message ?? ''}\n- ${error.others[1]?.message ?? ''}`,
    );
  });
});

describe('YAML syntax errors', () => {
  test.each([
    [
      'an unclosed flow sequence',
      'environments:\n  staging:\n    auto_deploy: [release\n  production: {}\n',
      '.github/rollgate.yml:4:3: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'a duplicate key',
      'environments:\n  staging: {}\n  staging: {}\n',
      '.github/rollgate.yml:3:3: not valid YAML: Map keys must be unique',
    ],
    [
      'an unclosed quote',
      'environments:\n  staging:\n    url: "https://staging.example.com\n',
      '.github/rollgate.yml:4:1: not valid YAML: Missing closing "quote',
    ],
    [
      'a tab for indentation',
      'environments:\n\tstaging: {}\n',
      '.github/rollgate.yml:2:1: not valid YAML: Tabs are not allowed as indentation',
    ],
    [
      'two documents',
      'environments: {}\n---\ncommands: {}\n',
      '.github/rollgate.yml:2:1: not valid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ],
    [
      'an unquoted value with ": " in it',
      'environments:\n  staging:\n    url: see: https://x\n',
      '.github/rollgate.yml:3:10: not valid YAML: Nested mappings are not allowed in compact mappings',
    ],
  ])('%s', (_name, text, message) => {
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.message).toBe(message);
    expect(error.pointer).toBe('');
    expect(error.fix).toMatch(/Fix the YAML there/);
  });

  test('a "billion laughs" file is refused, not expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      lines.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(', ')}]`);
    }
    const error = configErrorOf(() => parseConfigText(lines.join('\n')));
    expect(error.message).toMatch(/^\.github\/rollgate\.yml: could not be read: .*alias/i);
  });
});

describe('unknown keys', () => {
  test.each([
    [
      'a typo of a number key',
      'environments:\n  production:\n    requires:\n      aproved: 2\n',
      '4:7',
      'environments.production.requires',
      'aproved',
      'approvals',
    ],
    [
      'a typo of a list key',
      'environments:\n  production:\n    requires:\n      aproved: [octocat]\n',
      '4:7',
      'environments.production.requires',
      'aproved',
      'approvers',
    ],
    [
      'a hyphen for an underscore',
      'environments:\n  staging:\n    auto-deploy: [release]\n',
      '3:5',
      'environments.staging',
      'auto-deploy',
      'auto_deploy',
    ],
    [
      'camel case',
      'environments:\n  production:\n    requires: { selfApproval: true }\n',
      '3:17',
      'environments.production.requires',
      'selfApproval',
      'self_approval',
    ],
    ['a singular', 'environment:\n  staging: {}\n', '1:1', 'the file', 'environment', 'environments'],
    ['a missing letter', 'commands:\n  permision: write\n', '2:3', 'commands', 'permision', 'permission'],
    [
      'a swapped pair of letters',
      'environments:\n  production:\n    requries: {}\n',
      '3:5',
      'environments.production',
      'requries',
      'requires',
    ],
    [
      'an underscore in a window key',
      'environments:\n  production:\n    windows: [{ time_zone: UTC }]\n',
      '3:17',
      'environments.production.windows[0]',
      'time_zone',
      'timezone',
    ],
    [
      'a typo in a freeze',
      'environments:\n  production:\n    freezes: [{ from: 2026-12-20, to: 2027-01-05, reasn: x }]\n',
      '3:51',
      'environments.production.freezes[0]',
      'reasn',
      'reason',
    ],
  ])('%s points at the key and suggests the closest', (_name, text, position, where, key, suggestion) => {
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.message).toBe(
      `.github/rollgate.yml:${position}: ${where} has an unknown key "${key}"; did you mean "${suggestion}"?`,
    );
    expect(error.fix).toMatch(new RegExp(`^Rename it to ${suggestion}\\.`));
  });

  test.each([
    [
      'a gate written beside the environment',
      'environments:\n  production:\n    approvals: 2\n',
      '3:5',
      'environments.production',
      'approvals',
      'environments.<name>.requires',
    ],
    [
      'a command setting at the top level',
      'allow_forks: true\n',
      '1:1',
      'the file',
      'allow_forks',
      'commands',
    ],
    [
      'an environment at the top level',
      'staging:\n  url: https://staging.example.com\n',
      '1:1',
      'the file',
      'staging',
      'environments',
    ],
  ])('%s says where the key belongs', (_name, text, position, where, key, home) => {
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.message).toBe(
      `.github/rollgate.yml:${position}: ${where} has an unknown key "${key}", which belongs under ${home}`,
    );
    expect(error.fix).toMatch(new RegExp(`^Move it under ${home.replace('.', '\\.')}\\.`));
  });

  test('an unknown key like no other lists the keys the object takes', () => {
    const error = configErrorOf(() => parseConfigText('commands:\n  everyone: true\n'));
    expect(error.message).toBe('.github/rollgate.yml:2:3: commands has an unknown key "everyone"');
    expect(error.pointer).toBe('/commands/everyone');
    expect(error.fix).toMatch(/^Remove it, or use one of the keys commands takes: permission, allow_forks\./);
  });
});

describe('checks the schema cannot express', () => {
  test.each([
    [
      'deployed_to naming its own environment',
      'environments:\n  production:\n    requires: { deployed_to: production }\n',
      '.github/rollgate.yml:3:30: environments.production.requires.deployed_to names "production" itself',
      /Name the environment a commit must be live in before this one/,
    ],
    [
      'deployed_to naming a misspelt environment',
      'environments:\n  staging: {}\n  production:\n    requires: { deployed_to: stagin }\n',
      '.github/rollgate.yml:4:30: environments.production.requires.deployed_to names "stagin", which is not an environment of this file; did you mean "staging"?',
      /^Use staging, or add stagin under environments\./,
    ],
    [
      'deployed_to naming no environment at all',
      'environments:\n  production:\n    requires: { deployed_to: qa }\n',
      '.github/rollgate.yml:3:30: environments.production.requires.deployed_to names "qa", which is not an environment of this file',
      /^Add qa under environments, or remove deployed_to\./,
    ],
    [
      'deployed_to making a loop',
      'environments:\n  staging:\n    requires: { deployed_to: production }\n  production:\n    requires: { deployed_to: staging }\n',
      '.github/rollgate.yml:3:30: environments.staging.requires.deployed_to makes a loop (staging → production → staging), so none of them could ever be deployed',
      /Remove deployed_to from the environment a commit reaches first/,
    ],
    [
      'hours that are empty',
      'environments:\n  production:\n    windows:\n      - { hours: "09:00-09:00" }\n',
      '.github/rollgate.yml:4:18: environments.production.windows[0].hours "09:00-09:00" is empty: it ends when it starts',
      /such as "09:00-17:00" \(or "22:00-06:00" for a window across midnight\)/,
    ],
    [
      'hours that are empty at midnight',
      'environments:\n  production:\n    windows:\n      - { hours: "00:00-00:00" }\n',
      '.github/rollgate.yml:4:18: environments.production.windows[0].hours "00:00-00:00" is empty: it ends when it starts',
      /for the whole day write "00:00-24:00"/,
    ],
    [
      'a misspelt time zone on a freeze',
      'environments:\n  production:\n    freezes:\n      - { from: 2026-12-20, to: 2027-01-05, timezone: America/New_Yrok }\n',
      '.github/rollgate.yml:4:55: environments.production.freezes[0].timezone "America/New_Yrok" is not an IANA time zone; did you mean "America/New_York"?',
      /IANA time zone database, such as Europe\/Berlin/,
    ],
    [
      'a misspelt time zone',
      'environments:\n  production:\n    windows:\n      - { timezone: Europe/Berln }\n',
      '.github/rollgate.yml:4:21: environments.production.windows[0].timezone "Europe/Berln" is not an IANA time zone; did you mean "Europe/Berlin"?',
      /IANA time zone database, such as Europe\/Berlin/,
    ],
    [
      'a time zone that does not exist',
      'environments:\n  production:\n    windows:\n      - { timezone: Mars/Olympus_Mons }\n',
      '.github/rollgate.yml:4:21: environments.production.windows[0].timezone "Mars/Olympus_Mons" is not an IANA time zone',
      /List_of_tz_database_time_zones/,
    ],
    [
      'a UTC offset for a time zone',
      'environments:\n  production:\n    windows:\n      - { timezone: "+01:00" }\n',
      '.github/rollgate.yml:4:21: environments.production.windows[0].timezone "+01:00" is not an IANA time zone',
      /such as Europe\/Berlin, America\/New_York or UTC/,
    ],
    [
      'a freeze that ends before it starts',
      'environments:\n  production:\n    freezes:\n      - { from: 2027-12-20, to: 2027-01-05 }\n',
      '.github/rollgate.yml:4:33: environments.production.freezes[0].to is 2027-01-05, before from (2027-12-20)',
      /on or after from/,
    ],
    [
      'more approvals than listed users',
      'environments:\n  production:\n    requires:\n      approvals: 3\n      approvers: [octocat, hubot]\n',
      '.github/rollgate.yml:4:18: environments.production.requires.approvals is 3, but approvers lists only 2 users and no team, so no deploy could ever be approved',
      /^Lower approvals to 2 or fewer, or add approvers/,
    ],
    [
      'two approvals from one user written twice in different case',
      'environments:\n  production:\n    requires: { approvals: 2, approvers: [octocat, Octocat] }\n',
      '.github/rollgate.yml:3:28: environments.production.requires.approvals is 2, but approvers lists only 1 user and no team, so no deploy could ever be approved',
      /^Lower approvals to 1 or fewer/,
    ],
  ])('%s', (_name, text, message, fix) => {
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.message).toBe(message);
    expect(error.fix).toMatch(fix);
  });

  test('are not run on a file the schema refuses (their input would not be typed)', () => {
    const error = configErrorOf(() =>
      parseConfigText('environments:\n  production:\n    url: nope\n    requires: { deployed_to: qa }\n'),
    );
    expect(error.pointer).toBe('/environments/production/url');
    expect(error.others).toEqual([]);
  });
});

describe('validateConfigObject', () => {
  test('gives what parseConfigText gives for the object Probot loads', () => {
    expect(validateConfigObject(probotConfigOf(PRODUCT_EXAMPLE), '.github/rollgate.yml')).toEqual(
      parseConfigText(PRODUCT_EXAMPLE),
    );
  });

  test.each([
    ['null (no file: Probot returns null)', null],
    ['undefined', undefined],
    ['an empty object', {}],
  ])('takes %s as a configuration without environments', (_name, value) => {
    expect(validateConfigObject(value, '.github/rollgate.yml')).toEqual(EMPTY_CONFIG);
  });

  test.each([
    [
      'a wrong type',
      { environments: { production: { requires: { approvals: 'two' } } } },
      '.github/rollgate.yml: environments.production.requires.approvals must be a whole number ≥ 0, got "two"',
      '/environments/production/requires/approvals',
    ],
    [
      'an unknown key',
      { environments: { production: { requires: { aproved: 2 } } } },
      '.github/rollgate.yml: environments.production.requires has an unknown key "aproved"; did you mean "approvals"?',
      '/environments/production/requires/aproved',
    ],
    [
      'a missing key',
      { environments: { production: { freezes: [{ from: '2026-12-20' }] } } },
      '.github/rollgate.yml: environments.production.freezes[0] is missing "to"',
      '/environments/production/freezes/0',
    ],
    [
      'a dotted environment name',
      { environments: { 'web.eu': { url: 'nope' } } },
      '.github/rollgate.yml: environments["web.eu"].url must be an http(s) URL such as "https://staging.example.com", got "nope"',
      '/environments/web.eu/url',
    ],
    [
      'a semantic problem',
      { environments: { production: { requires: { deployed_to: 'staging' } } } },
      '.github/rollgate.yml: environments.production.requires.deployed_to names "staging", which is not an environment of this file',
      '/environments/production/requires/deployed_to',
    ],
    [
      'a string',
      'environments: {}',
      '.github/rollgate.yml: the file must be a mapping of keys to values, got "environments: {}"',
      '',
    ],
  ])('reports %s by key path, without a position', (_name, value, message, pointer) => {
    const error = configErrorOf(() => validateConfigObject(value, '.github/rollgate.yml'));
    expect(error.message).toBe(message);
    expect(error).toMatchObject({ line: undefined, column: undefined, pointer });
  });

  test('does not change the object it is given', () => {
    const value = probotConfigOf(PRODUCT_EXAMPLE);
    const before = JSON.stringify(value);
    validateConfigObject(value, '.github/rollgate.yml');
    expect(JSON.stringify(value)).toBe(before);
  });
});

interface SchemaNode {
  readonly $ref?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
}

/** Every schema node under `node` with where it is, `$ref`s resolved to the definition they name. */
function schemaNodes(node: SchemaNode, where: string): [string, SchemaNode][] {
  const resolved =
    node.$ref === undefined
      ? node
      : {
          ...(schema.definitions as Record<string, SchemaNode>)[node.$ref.replace('#/definitions/', '')],
          ...node,
        };
  return [
    [where, resolved],
    ...Object.entries(resolved.properties ?? {}).flatMap(([key, child]) =>
      schemaNodes(child, `${where}.${key}`),
    ),
    ...Object.values(resolved.patternProperties ?? {}).flatMap((child) =>
      schemaNodes(child, `${where}.<name>`),
    ),
    ...(resolved.items === undefined ? [] : schemaNodes(resolved.items, `${where}[]`)),
  ];
}

describe('rollgate.schema.json', () => {
  const nodes = schemaNodes(schema, '$');

  test('is a valid draft-07 schema that Ajv compiles in strict mode', () => {
    const ajv = new Ajv({ strict: true });
    addFormats(ajv);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? []).toEqual([]);
    expect(() => ajv.compile(schema)).not.toThrow();
  });

  test('has a title and a description', () => {
    expect(schema.title).toMatch(/rollgate\.yml/);
    expect(schema.description.length).toBeGreaterThan(40);
  });

  test('covers every key of the PRODUCT.md example, and _extends', () => {
    expect(nodes.map(([where]) => where)).toEqual(
      expect.arrayContaining([
        '$._extends',
        '$.environments.<name>.url',
        '$.environments.<name>.auto_deploy[]',
        '$.environments.<name>.production',
        '$.environments.<name>.transient',
        '$.environments.<name>.requires.approvals',
        '$.environments.<name>.requires.approvers[]',
        '$.environments.<name>.requires.self_approval',
        '$.environments.<name>.requires.checks',
        '$.environments.<name>.requires.deployed_to',
        '$.environments.<name>.requires.branches[]',
        '$.environments.<name>.windows[].days',
        '$.environments.<name>.windows[].hours',
        '$.environments.<name>.windows[].timezone',
        '$.environments.<name>.freezes[].from',
        '$.environments.<name>.freezes[].to',
        '$.environments.<name>.freezes[].reason',
        '$.commands.permission',
        '$.commands.allow_forks',
      ]),
    );
  });

  test('describes every key and every list item', () => {
    const undescribed = nodes
      .filter(([, node]) => (node.description ?? '').length < 10)
      .map(([where]) => where);
    expect(undescribed).toEqual([]);
  });

  test('has examples for every key, and they and the defaults satisfy the schema', () => {
    const ajv = new Ajv({ strict: true, allErrors: true });
    addFormats(ajv);
    const keys = nodes.filter(([where]) => where !== '$');
    const withoutExamples = keys
      .filter(([, node]) => (node.examples ?? []).length === 0)
      .map(([where]) => where);
    expect(withoutExamples).toEqual([]);
    for (const [where, node] of keys) {
      const { default: defaultValue, examples = [] } = node;
      const validate = ajv.compile({ ...node, definitions: schema.definitions });
      for (const value of defaultValue === undefined ? examples : [defaultValue, ...examples]) {
        expect([where, value, validate(value)]).toEqual([where, value, true]);
      }
    }
  });
});

describe('closestMatch', () => {
  test.each([
    ['approvals', ['approvals', 'approvers'], 'approvals'],
    ['APPROVALS', ['approvals'], 'approvals'],
    ['auto-deploy', ['url', 'auto_deploy'], 'auto_deploy'],
    ['selfApproval', ['self_approval', 'checks'], 'self_approval'],
    ['requries', ['requires', 'windows'], 'requires'],
    ['stagin', ['staging', 'production'], 'staging'],
    ['prod', ['staging', 'production'], undefined],
    ['foo', ['url', 'windows'], undefined],
    ['x', ['y'], undefined],
    ['anything', [], undefined],
  ])('%j among %j is %j', (word, candidates, expected) => {
    expect(closestMatch(word, candidates)).toBe(expected);
  });

  test.each([
    ['', '', 0],
    ['abc', '', 3],
    ['approvals', 'approvals', 0],
    ['aprovals', 'approvals', 1],
    ['apporvals', 'approvals', 1],
    ['aproved', 'approvals', 4],
    ['aproved', 'approvers', 3],
    ['kitten', 'sitting', 3],
  ])('editDistance(%j, %j) is %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('environment names as GitHub treats them', () => {
  test('two names that differ only in case are refused: GitHub makes them one environment', () => {
    const error = configErrorOf(() => parseConfigText('environments:\n  staging: {}\n  Staging: {}\n'));
    expect(error.message).toBe(
      '.github/rollgate.yml:3:3: environments.Staging and environments.staging differ only in case, and GitHub treats environment names case-insensitively: they are one environment',
    );
    expect(error.pointer).toBe('/environments/Staging');
    expect(error.advice).toMatch(/^Keep one of them/);
  });

  test.each(['.hidden', '-dash', '_under', 'a..b', 'ends.', 'prod.lock'])(
    'the name %j, which no command could address, is refused',
    (name) => {
      const error = configErrorOf(() => parseConfigText(`environments:\n  ${name}: {}\n`));
      expect(error.message).toMatch(/cannot be named in a command/);
      expect(error.line).toBe(2);
    },
  );
});

describe('large and very wrong files', () => {
  test('a file over 64 KiB is refused before it is parsed, saying its size and the limit', () => {
    // Not YAML at all: were it parsed, the error would be a syntax error.
    const text = `environments:\n${'  e: [\n'.repeat(10_000)}`;
    const error = configErrorOf(() => parseConfigText(text));
    expect(error.line).toBeUndefined();
    expect(error.message).toBe(
      '.github/rollgate.yml: is 69 KiB; Rollgate reads configuration files of at most 64 KiB',
    );
  });

  test('2,000 problems: every one has a line, the rendered error lists fifty and counts the rest', () => {
    const lines = Array.from({ length: 2_000 }, (_, index) => `  e${index}: { url: nope }`);
    const error = configErrorOf(() => parseConfigText(`environments:\n${lines.join('\n')}\n`));
    expect(error.problems).toHaveLength(2_000);
    expect(error.problems.every((problem) => problem.line !== undefined)).toBe(true);
    const rendered = error.render();
    expect(rendered).toMatch(/\n- and 1,950 more$/);
    expect(rendered.split('\n- ')).toHaveLength(51);
    expect(rendered.length).toBeLessThan(12_000);
  });
});
