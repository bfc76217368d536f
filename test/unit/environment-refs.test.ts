import { describe, expect, test } from '@jest/globals';
import { RollgateError } from '../../src/errors.ts';
import {
  EnvironmentRefError,
  acquire,
  claim,
  environmentKey,
  isStale,
  parseRecord,
  readEnvironmentRefs,
  recordDeployment,
  release,
  type ClaimOptions,
  type GitRefsApi,
  type LockHolder,
  type RefKind,
} from '../../src/github/environment-refs.ts';

const repo = { owner: 'octo-org', repo: 'web' };
const NOW = new Date('2026-12-01T12:00:00Z');
const MINUTE = 60_000;

/** An error shaped as Octokit's RequestError: `status` and GitHub's body under `response.data`. */
function githubError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, response: { data: { message } } });
}

type Method = keyof GitRefsApi;
/** Runs before a call; may throw (as GitHub would) or change the fake's state (as another replica would). */
type Interceptor = (fake: FakeGit, params: Record<string, unknown>) => void;

/**
 * A plain in-memory port with GitHub's ref semantics: create fails when the ref exists, update
 * without force only fast-forwards, delete of a missing ref is 422, get of one is 404.
 */
class FakeGit implements GitRefsApi {
  readonly refs = new Map<string, string>();
  readonly commits = new Map<string, { message: string; parents: string[]; tree: string }>();
  readonly calls: { method: Method; params: Record<string, unknown> }[] = [];
  readonly #interceptors = new Map<Method, Interceptor[]>();
  #next = 0;

  /** The next call of `method` runs `interceptor` first. */
  before(method: Method, interceptor: Interceptor): this {
    this.#interceptors.set(method, [...(this.#interceptors.get(method) ?? []), interceptor]);
    return this;
  }

  /** Seeds a holder commit (and the ref, when given) as an earlier claim would have made it. */
  seed(ref: string | undefined, holder: LockHolder, parents: string[] = []): string {
    const sha = this.#sha();
    this.commits.set(sha, { message: `rollgate seeded\n\n${JSON.stringify(holder)}`, parents, tree: 't0' });
    if (ref !== undefined) this.refs.set(ref, sha);
    return sha;
  }

  #sha(): string {
    return (++this.#next).toString(16).padStart(40, '0');
  }

  async #call(method: Method, params: object): Promise<void> {
    const record = params as Record<string, unknown>;
    this.calls.push({ method, params: record });
    // A turn of the event loop, as a network call takes.
    await Promise.resolve();
    this.#interceptors.get(method)?.shift()?.(this, record);
  }

  #ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    for (let queue = [sha], next = queue.pop(); next !== undefined; next = queue.pop()) {
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  callsOf(method: Method): Record<string, unknown>[] {
    return this.calls.filter((call) => call.method === method).map((call) => call.params);
  }

  createRef: GitRefsApi['createRef'] = async (params) => {
    await this.#call('createRef', params);
    if (this.refs.has(params.ref)) throw githubError(422, 'Reference already exists');
    this.refs.set(params.ref, params.sha);
    return {
      data: { ref: params.ref, node_id: '', url: '', object: { type: 'commit', sha: params.sha, url: '' } },
    };
  };

  getRef: GitRefsApi['getRef'] = async (params) => {
    await this.#call('getRef', params);
    const sha = this.refs.get(`refs/${params.ref}`);
    if (sha === undefined) throw githubError(404, 'Not Found');
    const ref = `refs/${params.ref}`;
    return { data: { ref, node_id: '', url: '', object: { type: 'commit', sha, url: '' } } };
  };

  updateRef: GitRefsApi['updateRef'] = async (params) => {
    await this.#call('updateRef', params);
    const ref = `refs/${params.ref}`;
    const current = this.refs.get(ref);
    if (current === undefined) throw githubError(422, 'Reference does not exist');
    if (params.force !== true && !this.#ancestors(params.sha).has(current)) {
      throw githubError(422, 'Update is not a fast forward');
    }
    this.refs.set(ref, params.sha);
    return { data: { ref, node_id: '', url: '', object: { type: 'commit', sha: params.sha, url: '' } } };
  };

  deleteRef: GitRefsApi['deleteRef'] = async (params) => {
    await this.#call('deleteRef', params);
    if (!this.refs.delete(`refs/${params.ref}`)) throw githubError(422, 'Reference does not exist');
    return { data: undefined as never };
  };

  listMatchingRefs: GitRefsApi['listMatchingRefs'] = async (params) => {
    await this.#call('listMatchingRefs', params);
    const prefix = `refs/${params.ref}`;
    return {
      data: [...this.refs.entries()]
        .filter(([name]) => name.startsWith(prefix))
        .map(([ref, sha]) => ({ ref, node_id: '', url: '', object: { type: 'commit', sha, url: '' } })),
    };
  };

  createTree: GitRefsApi['createTree'] = async (params) => {
    await this.#call('createTree', params);
    return { data: { sha: this.#sha(), url: '', truncated: false, tree: [] } };
  };

  createCommit: GitRefsApi['createCommit'] = async (params) => {
    await this.#call('createCommit', params);
    const sha = this.#sha();
    this.commits.set(sha, { message: params.message, parents: params.parents ?? [], tree: params.tree });
    return { data: commitData(sha, params.message) };
  };

  getCommit: GitRefsApi['getCommit'] = async (params) => {
    await this.#call('getCommit', params);
    const commit = this.commits.get(params.commit_sha);
    if (commit === undefined) throw githubError(404, 'Not Found');
    return { data: commitData(params.commit_sha, commit.message) };
  };
}

function commitData(sha: string, message: string) {
  const signature = { name: 'rollgate[bot]', email: 'bot@example.com', date: '2026-12-01T11:00:00Z' };
  return {
    sha,
    node_id: '',
    url: '',
    html_url: '',
    author: signature,
    committer: signature,
    message,
    tree: { sha: 't', url: '' },
    parents: [],
    verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
  };
}

function holder(who: string, minutesAgo = 0, extra: Partial<LockHolder> = {}): LockHolder {
  return {
    holder: who,
    reason: `deploy by ${who}`,
    since: new Date(NOW.getTime() - minutesAgo * MINUTE).toISOString(),
    pullRequest: 7,
    ...extra,
  };
}

const stale: ClaimOptions = { staleAfterMs: 30 * MINUTE, now: () => NOW };

interface ClaimRow {
  readonly name: string;
  readonly kind: RefKind;
  readonly environment: string;
  readonly options?: ClaimOptions;
  readonly arrange?: (fake: FakeGit) => void;
  readonly expected: {
    readonly taken: boolean;
    readonly by?: 'holder' | 'lock';
    readonly holder?: string;
    readonly tookOver?: string;
    /** The refs afterwards, name → holder. */
    readonly refs: Readonly<Record<string, string>>;
  };
}

const claimRows: readonly ClaimRow[] = [
  {
    name: 'a free environment is locked with a ref outside branches and tags',
    kind: 'lock',
    environment: 'staging',
    expected: { taken: true, refs: { 'refs/rollgate/lock/staging': 'monalisa' } },
  },
  {
    name: '`Staging` and `staging` share one lock',
    kind: 'lock',
    environment: 'Staging',
    arrange: (fake) => fake.seed('refs/rollgate/lock/staging', holder('hubot')),
    expected: {
      taken: false,
      by: 'holder',
      holder: 'hubot',
      refs: { 'refs/rollgate/lock/staging': 'hubot' },
    },
  },
  {
    name: 'a marker held by a running deploy is not taken',
    kind: 'deploying',
    environment: 'production',
    options: stale,
    arrange: (fake) => fake.seed('refs/rollgate/deploying/production', holder('hubot', 5)),
    expected: {
      taken: false,
      by: 'holder',
      holder: 'hubot',
      refs: { 'refs/rollgate/deploying/production': 'hubot' },
    },
  },
  {
    name: 'a lock is never stale, however old',
    kind: 'lock',
    environment: 'production',
    arrange: (fake) => fake.seed('refs/rollgate/lock/production', holder('hubot', 60 * 24 * 30)),
    expected: {
      taken: false,
      by: 'holder',
      holder: 'hubot',
      refs: { 'refs/rollgate/lock/production': 'hubot' },
    },
  },
  {
    name: 'an abandoned marker is taken over by fast-forward',
    kind: 'deploying',
    environment: 'production',
    options: stale,
    arrange: (fake) => fake.seed('refs/rollgate/deploying/production', holder('hubot', 45)),
    expected: {
      taken: true,
      tookOver: 'hubot',
      refs: { 'refs/rollgate/deploying/production': 'monalisa' },
    },
  },
  {
    name: 'of two replicas taking over an abandoned marker, the one that moves the ref second yields',
    kind: 'deploying',
    environment: 'production',
    options: stale,
    arrange: (fake) => {
      const old = fake.seed('refs/rollgate/deploying/production', holder('hubot', 45));
      // The other replica's takeover lands between our read and our update.
      fake.before('updateRef', (f) => {
        f.seed('refs/rollgate/deploying/production', holder('octocat', 0), [old]);
      });
    },
    expected: {
      taken: false,
      by: 'holder',
      holder: 'octocat',
      refs: { 'refs/rollgate/deploying/production': 'octocat' },
    },
  },
  {
    name: 'a retry after a lost answer finds its own claim and keeps it',
    kind: 'deploying',
    environment: 'staging',
    arrange: (fake) => fake.seed('refs/rollgate/deploying/staging', holder('monalisa')),
    expected: { taken: true, refs: { 'refs/rollgate/deploying/staging': 'monalisa' } },
  },
  {
    name: 'a marker released between our create and our read is created again',
    kind: 'deploying',
    environment: 'staging',
    arrange: (fake) => {
      fake.seed('refs/rollgate/deploying/staging', holder('hubot'));
      fake.before('getRef', (f) => f.refs.delete('refs/rollgate/deploying/staging'));
    },
    expected: { taken: true, refs: { 'refs/rollgate/deploying/staging': 'monalisa' } },
  },
  {
    name: 'a lock that landed while the marker was taken wins: the marker is given back',
    kind: 'deploying',
    environment: 'staging',
    arrange: (fake) =>
      fake.before('createRef', (f) => {
        f.seed('refs/rollgate/lock/staging', holder('hubot', 0, { reason: 'database migration' }));
      }),
    expected: { taken: false, by: 'lock', holder: 'hubot', refs: { 'refs/rollgate/lock/staging': 'hubot' } },
  },
  {
    name: "the holder's own lock does not stop the holder's deploy",
    kind: 'deploying',
    environment: 'staging',
    arrange: (fake) => fake.seed('refs/rollgate/lock/staging', holder('monalisa')),
    expected: {
      taken: true,
      refs: { 'refs/rollgate/lock/staging': 'monalisa', 'refs/rollgate/deploying/staging': 'monalisa' },
    },
  },
];

/** Who each ref's commit records as holder. */
function holders(fake: FakeGit): Record<string, string> {
  return Object.fromEntries(
    [...fake.refs.entries()].map(([ref, sha]) => {
      const message = fake.commits.get(sha)?.message ?? '';
      return [ref, parseRecord(message.split('\n\n').slice(1).join('\n\n'))?.holder ?? '?'];
    }),
  );
}

describe('claim: taking a lock or a deploy marker', () => {
  test.each(claimRows)('$name', async (row) => {
    const fake = new FakeGit();
    row.arrange?.(fake);
    const result = await claim(fake, repo, row.kind, row.environment, holder('monalisa'), row.options);

    expect(result.taken).toBe(row.expected.taken);
    if (result.taken) {
      expect(result.tookOver?.holder).toBe(row.expected.tookOver);
      expect(fake.refs.get(`refs/rollgate/${row.kind}/${row.environment.toLowerCase()}`)).toBe(result.sha);
    } else {
      expect(result.by).toBe(row.expected.by);
      expect(result.holder.holder).toBe(row.expected.holder);
    }
    expect(holders(fake)).toEqual(row.expected.refs);
    // Every commit is on a tree of its own: never git's empty tree, never a branch or a tag.
    for (const { tree } of fake.callsOf('createCommit'))
      expect(tree).not.toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    for (const ref of fake.refs.keys()) expect(ref).toMatch(/^refs\/rollgate\//);
    // A takeover never forces.
    for (const update of fake.callsOf('updateRef')) expect(update.force).toBe(false);
  });

  test('a takeover commit has the abandoned marker as its parent, so the update is a compare-and-swap', async () => {
    const fake = new FakeGit();
    const old = fake.seed('refs/rollgate/deploying/production', holder('hubot', 45));
    const result = await claim(fake, repo, 'deploying', 'production', holder('monalisa'), stale);
    expect(result.taken).toBe(true);
    const [update] = fake.callsOf('updateRef');
    expect(update).toMatchObject({ ref: 'rollgate/deploying/production', force: false });
    expect(fake.commits.get(String(update?.sha))?.parents).toEqual([old]);
  });

  test.each([
    [
      'a ruleset',
      'Repository rule violations found\n\nCannot create ref due to creations being restricted.\n\n',
    ],
    ['an invalid name', 'refs/rollgate/lock/x is not a valid ref name.'],
    ['a generic refusal', 'Reference update failed'],
  ])("any other 422 (%s) ends the claim with GitHub's reason, and is not retried", async (_what, message) => {
    const fake = new FakeGit().before('createRef', () => {
      throw githubError(422, message);
    });
    const error = await claim(fake, repo, 'lock', 'staging', holder('monalisa')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentRefError);
    expect(error).toBeInstanceOf(RollgateError);
    expect(error).toMatchObject({ status: 422, reason: message, ref: 'refs/rollgate/lock/staging' });
    expect((error as EnvironmentRefError).render()).toContain(message.trim());
    expect(fake.callsOf('createRef')).toHaveLength(1);
  });

  test("a refused holder commit ends the claim with GitHub's reason, and no ref is created", async () => {
    const fake = new FakeGit().before('createCommit', () => {
      throw githubError(422, 'Invalid tree info');
    });
    await expect(claim(fake, repo, 'lock', 'staging', holder('monalisa'))).rejects.toMatchObject({
      name: 'EnvironmentRefError',
      reason: 'Invalid tree info',
    });
    expect(fake.callsOf('createRef')).toEqual([]);
  });

  test('a ref that keeps changing hands ends in an error instead of looping forever', async () => {
    const fake = new FakeGit();
    fake.seed('refs/rollgate/lock/staging', holder('hubot'));
    // Every read finds it gone, every create finds it back.
    for (let i = 0; i < 10; i++) {
      fake.before('getRef', (f) => f.refs.delete('refs/rollgate/lock/staging'));
      fake.before('createRef', (f) => f.seed('refs/rollgate/lock/staging', holder('hubot')));
    }
    await expect(claim(fake, repo, 'lock', 'staging', holder('monalisa'))).rejects.toThrow(
      /changed hands 4 times/,
    );
    expect(fake.callsOf('createRef')).toHaveLength(4);
  });

  test('acquire answers as before: undefined when taken, else the holder', async () => {
    const fake = new FakeGit();
    expect(await acquire(fake, repo, 'lock', 'qa', holder('monalisa'))).toBeUndefined();
    expect(await acquire(fake, repo, 'lock', 'QA', holder('hubot'))).toMatchObject({ holder: 'monalisa' });
  });
});

describe('release and recordDeployment: only the owner removes a ref', () => {
  test.each([
    { name: 'the commit we made is removed', owner: 'ours', removed: true },
    { name: 'a marker someone else took over is left alone', owner: 'other-sha', removed: false },
    { name: 'the marker of deployment 42 is removed by its final status', owner: 42, removed: true },
    { name: 'the marker of deployment 42 is not removed by deployment 41', owner: 41, removed: false },
    { name: 'without an owner (an admin) whatever is there goes', owner: undefined, removed: true },
  ] as const)('$name', async ({ owner, removed }) => {
    const fake = new FakeGit();
    const taken = await claim(fake, repo, 'deploying', 'staging', holder('monalisa'));
    if (!taken.taken) throw new Error('not taken');
    const recorded = await recordDeployment(fake, repo, 'Staging', taken, 42);
    expect(recorded).toBe(fake.refs.get('refs/rollgate/deploying/staging'));
    const by =
      owner === 'ours'
        ? { sha: recorded ?? '' }
        : owner === 'other-sha'
          ? { sha: taken.sha }
          : owner === undefined
            ? undefined
            : { deploymentId: owner };
    expect(await release(fake, repo, 'deploying', 'staging', by)).toBe(removed);
    expect(fake.refs.has('refs/rollgate/deploying/staging')).toBe(!removed);
  });

  test('a marker already gone is fine', async () => {
    const fake = new FakeGit();
    expect(await release(fake, repo, 'lock', 'staging')).toBe(false);
    expect(await release(fake, repo, 'lock', 'staging', { sha: 'abc' })).toBe(false);
  });

  test('recording a deployment on a marker that was taken over changes nothing', async () => {
    const fake = new FakeGit();
    const taken = await claim(fake, repo, 'deploying', 'staging', holder('monalisa'));
    if (!taken.taken) throw new Error('not taken');
    fake.seed('refs/rollgate/deploying/staging', holder('hubot'));
    expect(await recordDeployment(fake, repo, 'staging', taken, 42)).toBeUndefined();
    expect(holders(fake)).toEqual({ 'refs/rollgate/deploying/staging': 'hubot' });
  });
});

describe('readEnvironmentRefs: one listing, and legacy branches moved', () => {
  test('reads locks and markers by environment without regard to case', async () => {
    const fake = new FakeGit();
    const lock = fake.seed('refs/rollgate/lock/production', holder('hubot'));
    const marker = fake.seed('refs/rollgate/deploying/staging', holder('monalisa'));
    fake.seed('refs/rollgate/other/thing', holder('x'));
    const refs = await readEnvironmentRefs(fake, repo, { migrated: new Set(['octo-org/web']) });
    expect(refs.locks.get('Production')).toBe(lock);
    expect(refs.deploying.get('staging')).toBe(marker);
    expect([...refs.locks.keys(), ...refs.deploying.keys()]).toEqual(['production', 'staging']);
    expect(fake.callsOf('listMatchingRefs')).toEqual([{ ...repo, ref: 'rollgate/' }]);
  });

  test('moves rollgate/* branches of earlier versions to refs/rollgate/ once, keeping their commits', async () => {
    const fake = new FakeGit();
    const lock = fake.seed('refs/heads/rollgate/lock/Production', holder('hubot'));
    const marker = fake.seed('refs/heads/rollgate/deploying/staging', holder('monalisa'));
    const migrated = new Set<string>();
    const refs = await readEnvironmentRefs(fake, repo, { migrated });
    expect(refs.locks.get('production')).toBe(lock);
    expect(refs.deploying.get('staging')).toBe(marker);
    expect([...fake.refs.keys()].sort()).toEqual([
      'refs/rollgate/deploying/staging',
      'refs/rollgate/lock/production',
    ]);
    expect(migrated).toEqual(new Set(['octo-org/web']));
    await readEnvironmentRefs(fake, repo, { migrated });
    expect(fake.callsOf('listMatchingRefs')).toHaveLength(3);
  });

  test('a legacy branch whose new ref already exists is dropped, the new ref kept', async () => {
    const fake = new FakeGit();
    const current = fake.seed('refs/rollgate/lock/staging', holder('monalisa'));
    fake.seed('refs/heads/rollgate/lock/staging', holder('hubot'));
    const refs = await readEnvironmentRefs(fake, repo);
    expect(refs.locks.get('staging')).toBe(current);
    expect([...fake.refs.keys()]).toEqual(['refs/rollgate/lock/staging']);
  });
});

describe('the pure parts', () => {
  test.each([
    [
      '{"holder":"a","since":"2026-01-01T00:00:00Z","reason":"r","pullRequest":3,"deploymentId":9}',
      { holder: 'a', reason: 'r', pullRequest: 3, deploymentId: 9 },
    ],
    [
      '{"holder":"a","since":"s"}',
      { holder: 'a', reason: '', pullRequest: undefined, deploymentId: undefined },
    ],
    [
      '{"holder":"a","since":"s","pullRequest":"3","deploymentId":1.5}',
      { pullRequest: undefined, deploymentId: undefined },
    ],
    ['{"since":"s"}', undefined],
    ['[1,2]', undefined],
    ['null', undefined],
    ['not json', undefined],
  ])('parseRecord(%s)', (text, expected) => {
    const parsed = parseRecord(text);
    if (expected === undefined) expect(parsed).toBeUndefined();
    else expect(parsed).toMatchObject(expected);
  });

  test.each([
    [29, stale, false],
    [31, stale, true],
    [60 * 24, {}, false],
  ] as const)('a holder %i minutes old is stale: %j → %s', (minutes, options, expected) => {
    expect(isStale(holder('a', minutes), options)).toBe(expected);
  });

  test('a holder with an unreadable time counts as stale when staleness is asked for', () => {
    expect(isStale({ ...holder('a'), since: 'yesterday' }, stale)).toBe(true);
  });

  test.each(['staging', 'Production', 'eu-west.1', 'a_b'])('%s is a valid ref component', (name) => {
    expect(environmentKey(name)).toBe(name.toLowerCase());
  });

  test.each(['', '.hidden', 'trailing.', 'x.lock', 'a..b', 'with space', 'a/b', 'x'.repeat(256)])(
    '%j cannot name a ref and is refused with a RollgateError',
    (name) => {
      expect(() => environmentKey(name)).toThrow(EnvironmentRefError);
    },
  );
});
