import { describe, expect, test } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { InputError, RollgateError } from '../../src/errors.ts';
import {
  chooseKubeconfigSource,
  contextNamespace,
  credentialSecrets,
  decodeKubeconfig,
  loadKubeConfig,
  type CredentialEnvironment,
} from '../../src/kubernetes/credentials.ts';
import { kubeconfigSecrets, validateKubeconfig } from '../../src/kubernetes/kubeconfig-document.ts';

/** A fake bearer token: it must never appear in an error message. */
const TOKEN = 'fake-token-7f3c9a1e5b2d';
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const INPUT = "the 'kubeconfig' input";

const KUBECONFIG_YAML = `apiVersion: v1
kind: Config
clusters:
- name: staging
  cluster:
    server: https://staging.k8s.example.com:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
contexts:
- name: ci@staging
  context:
    cluster: staging
    user: ci
    namespace: api
current-context: ci@staging
users:
- name: ci
  user:
    token: ${TOKEN}
`;

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

function errorOf<E extends Error>(type: abstract new (...args: never[]) => E, run: () => unknown): E {
  try {
    run();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, got none`);
}

const nothingExists = () => false;
const everythingExists = () => true;

describe('chooseKubeconfigSource', () => {
  test.each<[string, string, string]>([
    ['YAML', KUBECONFIG_YAML, KUBECONFIG_YAML],
    ['base64 of the YAML', base64(KUBECONFIG_YAML), KUBECONFIG_YAML],
    ['base64 wrapped at 76 columns', base64(KUBECONFIG_YAML).replace(/.{76}/g, '$&\n'), KUBECONFIG_YAML],
    ['base64 with surrounding blank lines', `\n  ${base64(KUBECONFIG_YAML)}  \n`, KUBECONFIG_YAML],
  ])('the kubeconfig input as %s comes first', (_case, input, yaml) => {
    const env: CredentialEnvironment = {
      KUBECONFIG: '/home/runner/.kube/config',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    expect(chooseKubeconfigSource(input, env, everythingExists)).toEqual({ kind: 'input', yaml });
  });

  test.each([
    ['/home/runner/.kube/config', '/home/runner/.kube/config'],
    ['/tmp/a.yaml:/tmp/b.yaml', '/tmp/a.yaml'],
    [':/tmp/b.yaml', '/tmp/b.yaml'],
    ['::/tmp/c.yaml:', '/tmp/c.yaml'],
  ])('KUBECONFIG=%j reads the file %s', (KUBECONFIG, path) => {
    const asked: string[] = [];
    const fileExists = (file: string) => {
      asked.push(file);
      return true;
    };
    const env = { KUBECONFIG, KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(chooseKubeconfigSource('', env, fileExists)).toEqual({ kind: 'file', path });
    expect(asked).toEqual([path]);
  });

  test.each(['', '   ', '\n'])('a blank input %j falls through to KUBECONFIG', (input) => {
    expect(chooseKubeconfigSource(input, { KUBECONFIG: '/tmp/kubeconfig' }, everythingExists)).toEqual({
      kind: 'file',
      path: '/tmp/kubeconfig',
    });
  });

  test('a KUBECONFIG file that does not exist fails and names it, even in a cluster', () => {
    const env = {
      KUBECONFIG: '/tmp/missing/config',
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_PORT: '443',
    };
    const fileExists = (file: string) => file === SERVICE_ACCOUNT_TOKEN;
    const error = errorOf(RollgateError, () => chooseKubeconfigSource('', env, fileExists));
    expect(error.message).toBe('KUBECONFIG points at /tmp/missing/config, which does not exist.');
    expect(error.fix).toContain('kubeconfig input');
  });

  test('checks the KUBECONFIG file with the real file system by default', () => {
    const here = fileURLToPath(import.meta.url);
    expect(chooseKubeconfigSource('', { KUBECONFIG: here })).toEqual({ kind: 'file', path: here });
    const missing = `${here}.does-not-exist`;
    expect(() => chooseKubeconfigSource('', { KUBECONFIG: missing })).toThrow(
      `KUBECONFIG points at ${missing}, which does not exist.`,
    );
  });

  test('uses the pod service account in a cluster when nothing else is given', () => {
    const asked: string[] = [];
    const fileExists = (file: string) => {
      asked.push(file);
      return file === SERVICE_ACCOUNT_TOKEN;
    };
    const env = { KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(chooseKubeconfigSource('', env, fileExists)).toEqual({ kind: 'in-cluster' });
    expect(asked).toEqual([SERVICE_ACCOUNT_TOKEN]);
  });

  test.each<[string, CredentialEnvironment, (path: string) => boolean]>([
    ['an empty environment', {}, everythingExists],
    ['KUBECONFIG set to an empty list', { KUBECONFIG: ':' }, everythingExists],
    ['a service host without a port', { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, everythingExists],
    ['a service port without a host', { KUBERNETES_SERVICE_PORT: '443' }, everythingExists],
    [
      'service variables without the service account token',
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      nothingExists,
    ],
  ])('with %s there are no credentials, and the error says how to give them', (_case, env, fileExists) => {
    const error = errorOf(RollgateError, () => chooseKubeconfigSource('', env, fileExists));
    expect(error.message).toBe('No Kubernetes credentials were found.');
    expect(error.fix).toContain('kubeconfig: ${{ secrets.KUBECONFIG }}');
    expect(error.fix).toContain('KUBECONFIG');
    expect(error.render()).not.toMatch(/localhost|8080|127\.0\.0\.1/);
  });
});

describe('decodeKubeconfig', () => {
  test.each([
    ['YAML, unchanged', KUBECONFIG_YAML, KUBECONFIG_YAML],
    ['YAML with surrounding blank lines, unchanged', `\n${KUBECONFIG_YAML}\n`, `\n${KUBECONFIG_YAML}\n`],
    ['JSON, unchanged', '{"apiVersion":"v1","clusters":[]}', '{"apiVersion":"v1","clusters":[]}'],
    ['base64', base64(KUBECONFIG_YAML), KUBECONFIG_YAML],
    ['base64 with line breaks', base64(KUBECONFIG_YAML).replace(/.{64}/g, '$&\r\n'), KUBECONFIG_YAML],
    ['base64 of JSON', base64('{"apiVersion":"v1","clusters":[]}'), '{"apiVersion":"v1","clusters":[]}'],
  ])('%s', (_case, raw, decoded) => {
    expect(decodeKubeconfig(raw)).toBe(decoded);
  });

  test.each([base64('hello world'), 'abcdef', base64('just: text')])(
    'base64 %j that is not a kubeconfig is refused without echoing it',
    (raw) => {
      const error = errorOf(InputError, () => decodeKubeconfig(raw));
      expect(error.input).toBe('kubeconfig');
      expect(error.message).toBe(
        "Input 'kubeconfig' is invalid: it looks like base64 but does not decode to a kubeconfig.",
      );
      expect(error.render()).not.toContain(raw);
    },
  );
});

describe('validateKubeconfig', () => {
  test('returns the current context and the server', () => {
    expect(validateKubeconfig(KUBECONFIG_YAML, INPUT)).toEqual({
      context: 'ci@staging',
      server: 'https://staging.k8s.example.com:6443',
      namespace: 'api',
    });
  });

  test.each([
    ['no current-context', KUBECONFIG_YAML.replace('current-context: ci@staging\n', '')],
    [
      'an empty current-context',
      KUBECONFIG_YAML.replace('current-context: ci@staging', 'current-context: ""'),
    ],
  ])('with %s it takes the first context', (_case, yaml) => {
    expect(validateKubeconfig(yaml, INPUT).context).toBe('ci@staging');
  });

  test.each([
    ['no server', KUBECONFIG_YAML.replace('    server: https://staging.k8s.example.com:6443\n', '')],
    ['a server that is not text', KUBECONFIG_YAML.replace('https://staging.k8s.example.com:6443', '[a, b]')],
  ])('with %s the server is unknown', (_case, yaml) => {
    expect(validateKubeconfig(yaml, INPUT)).toEqual({
      context: 'ci@staging',
      server: undefined,
      namespace: 'api',
    });
  });

  test.each([
    [
      'an indentation mistake',
      KUBECONFIG_YAML.replace(`    token: ${TOKEN}\n`, `    token: ${TOKEN}\n   extra: indent\n`),
      19,
      1,
      'BAD_INDENT',
    ],
    [
      'an unterminated quote',
      KUBECONFIG_YAML.replace(`token: ${TOKEN}`, `token: "${TOKEN}`),
      19,
      1,
      'MISSING_CHAR',
    ],
    ['a tab used for indentation', `apiVersion: v1\nclusters:\n\t- name: ${TOKEN}\n`, 3, 1, 'TAB_AS_INDENT'],
    ['a duplicated key', `${KUBECONFIG_YAML}current-context: ${TOKEN}\n`, 19, 1, 'DUPLICATE_KEY'],
    [
      'a flow mapping left open',
      `apiVersion: v1\nusers:\n- name: ci\n  user: {token: ${TOKEN}\n`,
      5,
      1,
      'BAD_INDENT',
    ],
  ])(
    'a YAML syntax error (%s) gives line and column, never the content',
    (_case, yaml, line, column, code) => {
      expect(yaml).toContain(TOKEN);
      const error = errorOf(InputError, () => validateKubeconfig(yaml, INPUT));
      expect(error.input).toBe('kubeconfig');
      expect(error.message).toBe(
        `Input 'kubeconfig' is invalid: ${INPUT} is not valid YAML at line ${line}, column ${column} (${code}).`,
      );
      expect(`${error.render()} ${error.why} ${error.fix} ${String(error.stack)}`).not.toContain(TOKEN);
    },
  );

  test.each([
    ['an empty file', ''],
    ['a comment only', '# kubeconfig goes here\n'],
    ['plain text', 'not a kubeconfig'],
    ['a list', '- a\n- b\n'],
    ['no clusters key', KUBECONFIG_YAML.replace(/^clusters:\n(?: .*\n|- .*\n)+/m, '')],
    ['an empty cluster list', 'apiVersion: v1\nclusters: []\ncontexts: [{name: ci}]\ncurrent-context: ci\n'],
    ['clusters written as a map', 'apiVersion: v1\nclusters: {staging: {}}\ncontexts: [{name: ci}]\n'],
  ])('%s has no clusters', (_case, yaml) => {
    const error = errorOf(InputError, () => validateKubeconfig(yaml, 'KUBECONFIG file /tmp/config'));
    expect(error.message).toBe("Input 'kubeconfig' is invalid: KUBECONFIG file /tmp/config has no clusters.");
    expect(error.fix).toContain('kubectl config view --raw --minify');
  });

  test.each([
    [
      'an unknown current-context',
      KUBECONFIG_YAML.replace('current-context: ci@staging', 'current-context: ci@prod'),
      `${INPUT} has no context named 'ci@prod'`,
      'Set current-context to one of its contexts (ci@staging).',
    ],
    [
      'a current-context but no contexts',
      'clusters: [{name: a, cluster: {server: "https://a"}}]\ncurrent-context: ci\n',
      `${INPUT} has no context named 'ci'`,
      'Set current-context to one of its contexts.',
    ],
    [
      'neither contexts nor current-context',
      'clusters: [{name: a, cluster: {server: "https://a"}}]\n',
      `${INPUT} has no context`,
      'Set current-context to one of its contexts.',
    ],
  ])('%s is refused', (_case, yaml, what, fix) => {
    const error = errorOf(InputError, () => validateKubeconfig(yaml, INPUT));
    expect(error.message).toBe(`Input 'kubeconfig' is invalid: ${what}.`);
    expect(error.fix).toBe(fix);
  });

  test('an unknown current-context lists every context there is', () => {
    const yaml = 'clusters: [{name: a}]\ncontexts: [{name: a}, {name: b}]\ncurrent-context: c\n';
    const error = errorOf(InputError, () => validateKubeconfig(yaml, INPUT));
    expect(error.message).toBe(`Input 'kubeconfig' is invalid: ${INPUT} has no context named 'c'.`);
    expect(error.fix).toBe('Set current-context to one of its contexts (a, b).');
  });
});

describe('kubeconfigSecrets', () => {
  test.each([
    ['token', `    token: ${TOKEN}`, [TOKEN]],
    ['a double-quoted token', `    token: "${TOKEN}"`, [TOKEN]],
    ['a single-quoted token', `    token: '${TOKEN}'`, [TOKEN]],
    ['a password', '    password: hunter22', ['hunter22']],
    ['a client key', '    client-key-data: LS0tLS1CRUdJTiBSU0E=', ['LS0tLS1CRUdJTiBSU0E=']],
    ['a client certificate', '    client-certificate-data: LS0tLS1DRVJU', ['LS0tLS1DRVJU']],
    ['a refresh token', '        refresh-token: 1//0refresh', ['1//0refresh']],
    ['an id token', '        id-token: eyJhbGciOiJSUzI1NiJ9', ['eyJhbGciOiJSUzI1NiJ9']],
    ['a value with trailing spaces', `    token: ${TOKEN}   `, [TOKEN]],
    ['a CRLF line', `    token: ${TOKEN}\r`, [TOKEN]],
    ['a value too short to be a secret', '    password: abc', []],
    ['a key that only contains the word', '    tokenFile: /var/run/secrets/token', []],
    ['a name that is the word', '- name: token', []],
    ['a server', '    server: https://k8s.example.com:6443', []],
    ['an empty token', '    token: ""', []],
    ['a token with a trailing comment', `    token: ${TOKEN} # service account`, [TOKEN]],
    ['flow style', `    {token: ${TOKEN}}`, [TOKEN]],
    [
      'an auth-provider access token and client secret',
      '    auth-provider:\n      config:\n        access-token: ya29.access\n        client-secret: s3cr3t-oidc',
      ['ya29.access', 's3cr3t-oidc'],
    ],
  ])('finds %s', (_case, line, secrets) => {
    expect(kubeconfigSecrets(`users:\n- name: ci\n  user:\n${line}\n`)).toEqual(secrets);
  });

  test('finds every secret of a kubeconfig, in order', () => {
    const yaml = `${KUBECONFIG_YAML}- name: admin\n  user:\n    client-certificate-data: Q0VSVERBVEE=\n    client-key-data: S0VZREFUQQ==\n`;
    expect(kubeconfigSecrets(yaml)).toEqual([TOKEN, 'Q0VSVERBVEE=', 'S0VZREFUQQ==']);
  });
});

test('a JSON kubeconfig gives up its token too', () => {
  expect(kubeconfigSecrets(JSON.stringify({ users: [{ name: 'ci', user: { token: TOKEN } }] }))).toEqual([
    TOKEN,
  ]);
});

test('validateKubeconfig returns the server of the current context, not of the first cluster', () => {
  const yaml = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: staging',
    '  cluster: { server: "https://staging.example.com:6443" }',
    '- name: prod',
    '  cluster: { server: "https://prod.example.com:6443" }',
    'contexts:',
    '- name: staging',
    '  context: { cluster: staging, user: ci }',
    '- name: prod',
    '  context: { cluster: prod, user: ci }',
    'current-context: prod',
    'users:',
    '- name: ci',
    '  user: { token: abcdefgh }',
    '',
  ].join('\n');
  expect(validateKubeconfig(yaml, 'the kubeconfig')).toEqual({
    context: 'prod',
    server: 'https://prod.example.com:6443',
    namespace: undefined,
  });
});

describe('loadKubeConfig', () => {
  test('loads the kubeconfig input with its current cluster, context and user', async () => {
    const config = await loadKubeConfig({ kind: 'input', yaml: KUBECONFIG_YAML });
    expect(config.getCurrentContext()).toBe('ci@staging');
    expect(config.getCurrentCluster()?.server).toBe('https://staging.k8s.example.com:6443');
    expect(config.getCurrentUser()?.token).toBe(TOKEN);
  });

  test('uses the first context when the file names no current-context', async () => {
    const config = await loadKubeConfig({
      kind: 'input',
      yaml: KUBECONFIG_YAML.replace('current-context: ci@staging', ''),
    });
    expect(config.getCurrentContext()).toBe('ci@staging');
    expect(config.getCurrentCluster()?.server).toBe('https://staging.k8s.example.com:6443');
  });

  test('loads a decoded base64 input', async () => {
    const source = chooseKubeconfigSource(base64(KUBECONFIG_YAML), {}, nothingExists);
    const config = await loadKubeConfig(source);
    expect(config.getCurrentCluster()?.server).toBe('https://staging.k8s.example.com:6443');
  });

  test('validates before the client sees the kubeconfig, naming the input', async () => {
    const yaml = KUBECONFIG_YAML.replace('current-context: ci@staging', 'current-context: ci@prod');
    await expect(loadKubeConfig({ kind: 'input', yaml })).rejects.toThrow(
      `Input 'kubeconfig' is invalid: ${INPUT} has no context named 'ci@prod'.`,
    );
  });
});

describe('credentialSecrets: every secret of each kubeconfig shape, in each printable form', () => {
  const PEM_KEY = [
    '-----BEGIN PRIVATE KEY-----',
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
    'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
    '-----END PRIVATE KEY-----',
    '',
  ].join('\n');
  const withUser = (user: string) =>
    KUBECONFIG_YAML.replace(
      `users:\n- name: ci\n  user:\n    token: ${TOKEN}\n`,
      `users:\n- name: ci\n  user:\n${user}`,
    );
  const file = (yaml: string) => ({ path: '/home/runner/.kube/config', read: () => yaml });

  test.each<[string, string, string[]]>([
    ['a bearer token', `    token: ${TOKEN}\n`, [TOKEN, base64(TOKEN)]],
    [
      'a client key: the base64 blob and each line of the PEM it decodes to, armor left out',
      `    client-key-data: ${base64(PEM_KEY)}\n`,
      [
        base64(PEM_KEY),
        base64(base64(PEM_KEY)),
        'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj',
        'MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu',
      ],
    ],
    [
      'an exec plugin: every env value and --token= arguments',
      [
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1',
        '      command: aws',
        '      args: [eks, get-token, --cluster-name, prod, --session-token=sess-9a8b7c]',
        '      env:',
        '      - name: AWS_SECRET_ACCESS_KEY',
        '        value: wJalrXUtnFEMI/K7MDENG',
        '      - name: AWS_REGION',
        '        value: eu-west-1',
        '',
      ].join('\n'),
      [
        'wJalrXUtnFEMI/K7MDENG',
        base64('wJalrXUtnFEMI/K7MDENG'),
        'eu-west-1',
        base64('eu-west-1'),
        'sess-9a8b7c',
        base64('sess-9a8b7c'),
      ],
    ],
    [
      'an auth-provider',
      [
        '    auth-provider:',
        '      name: oidc',
        '      config:',
        '        client-id: rollgate',
        '        client-secret: oidc-secret-1',
        '        id-token: oidc-id-token-2',
        '',
      ].join('\n'),
      ['oidc-secret-1', base64('oidc-secret-1'), 'oidc-id-token-2', base64('oidc-id-token-2')],
    ],
    [
      'a username and password: the password and the Basic header value client-node sends',
      '    username: deployer\n    password: hunter2-pw\n',
      [
        'hunter2-pw',
        base64('hunter2-pw'),
        base64('deployer:hunter2-pw'),
        base64(base64('deployer:hunter2-pw')),
        'deployer:hunter2-pw',
      ],
    ],
  ])('%s', async (_case, user, expected) => {
    expect(await credentialSecrets({ kind: 'input', yaml: withUser(user) })).toEqual(expected);
  });

  test('a base64 input gives up the secrets inside it, not only the blob', async () => {
    const source = chooseKubeconfigSource(base64(KUBECONFIG_YAML), {}, nothingExists);
    expect(await credentialSecrets(source)).toEqual([TOKEN, base64(TOKEN)]);
  });

  test('a KUBECONFIG file is read and its secrets found', async () => {
    const { path, read } = file(KUBECONFIG_YAML);
    const asked: string[] = [];
    const secrets = await credentialSecrets({ kind: 'file', path }, (p) => {
      asked.push(p);
      return read();
    });
    expect(asked).toEqual([path]);
    expect(secrets).toEqual([TOKEN, base64(TOKEN)]);
  });

  test("in a pod, the service account's token", async () => {
    const secrets = await credentialSecrets({ kind: 'in-cluster' }, (p) =>
      p === SERVICE_ACCOUNT_TOKEN ? `${TOKEN}\n` : '',
    );
    expect(secrets).toEqual([TOKEN, base64(TOKEN)]);
  });

  test('the password of a proxy-url and ?token= values of a server URL', async () => {
    const yaml = KUBECONFIG_YAML.replace(
      '    server: https://staging.k8s.example.com:6443\n',
      '    server: https://staging.k8s.example.com:6443/?access_token=srv-tok-77&cluster=a\n    proxy-url: http://ci:proxy%2Fpass1@proxy.example.com:3128\n',
    );
    const secrets = await credentialSecrets({ kind: 'input', yaml });
    for (const secret of ['srv-tok-77', 'proxy%2Fpass1', 'proxy/pass1']) expect(secrets).toContain(secret);
    expect(secrets).not.toContain('a');
  });

  test('an unparsable kubeconfig gives no secrets (it is refused without being echoed)', async () => {
    expect(await credentialSecrets({ kind: 'input', yaml: 'users: [\n' })).toEqual([]);
  });
});

describe('contextNamespace', () => {
  test.each<[string, string, string]>([
    ['the current context names one', KUBECONFIG_YAML, 'api'],
    ['it names none', KUBECONFIG_YAML.replace('    namespace: api\n', ''), 'default'],
    ['it names an empty one', KUBECONFIG_YAML.replace('namespace: api', 'namespace: ""'), 'default'],
  ])('when %s', async (_case, yaml, namespace) => {
    expect(contextNamespace(await loadKubeConfig({ kind: 'input', yaml }))).toBe(namespace);
  });
});
