/**
 * The dashboard's action forms: what a form asks for, checked by the comment parser, and the HTML
 * of the forms and of a result, escaped.
 */
import { describe, expect, test } from '@jest/globals';
import { markdownHtml, resultNotice, rowActions } from '../../app/dashboard/action-forms.ts';
import { parseActionForm } from '../../app/dashboard/actions.ts';
import type { EnvironmentRow } from '../../app/dashboard/environments.ts';

const form = (fields: Record<string, string>): URLSearchParams =>
  new URLSearchParams({ action: '123456789', environment: 'staging', ...fields });

describe('an action form', () => {
  test.each([
    [{ kind: 'lock' }, { kind: 'lock', environment: 'staging', reason: undefined }],
    [
      { kind: 'lock', reason: ' db migration ' },
      { kind: 'lock', environment: 'staging', reason: 'db migration' },
    ],
    [
      { kind: 'lock', reason: '"release freeze"' },
      { kind: 'lock', environment: 'staging', reason: 'release freeze' },
    ],
    [{ kind: 'unlock' }, { kind: 'unlock', environment: 'staging' }],
    [{ kind: 'rollback' }, { kind: 'rollback', environment: 'staging', target: undefined }],
    [
      { kind: 'rollback', target: 'v1.2.0' },
      { kind: 'rollback', environment: 'staging', target: 'v1.2.0' },
    ],
    [
      { kind: 'deploy', ref: 'v1.4.0' },
      { kind: 'deploy', environment: 'staging', ref: 'v1.4.0', dryRun: false, params: {} },
    ],
    [
      { kind: 'deploy', ref: 'a1b2c3d', version: '1.4.0-rc.1' },
      {
        kind: 'deploy',
        environment: 'staging',
        ref: 'a1b2c3d',
        dryRun: false,
        params: { version: '1.4.0-rc.1' },
      },
    ],
    [
      { kind: 'approve', pull: '42' },
      { kind: 'approve', environment: 'staging' },
    ],
    [
      { kind: 'reject', pull: '42', reason: 'not today' },
      { kind: 'reject', environment: 'staging', reason: 'not today' },
    ],
  ])('%j is the command %j', (fields, command) => {
    const parsed = parseActionForm(form(fields));
    expect(parsed).toMatchObject({ ok: true, action: { id: 123456789, command } });
  });

  test('a verdict carries its pull request, or the release whose deploy waits', () => {
    expect(parseActionForm(form({ kind: 'approve', pull: '42' }))).toMatchObject({ action: { pull: 42 } });
    expect(parseActionForm(form({ kind: 'reject', release: 'v1.4.0' }))).toMatchObject({
      action: { pull: undefined, release: 'v1.4.0' },
    });
  });

  test.each([
    ['an unknown kind', { kind: 'status' }, /is not an action of the dashboard/],
    ['no kind', { kind: '' }, /is not an action/],
    ['no action id', { kind: 'lock', action: '' }, /no valid action id/],
    ['an action id that is no number', { kind: 'lock', action: '12a' }, /no valid action id/],
    ['an action id past 2^48', { kind: 'lock', action: String(2 ** 48) }, /no valid action id/],
    ['no environment', { kind: 'lock', environment: '' }, /the environment is missing/],
    ['an environment with a space', { kind: 'lock', environment: 'staging prod' }, /has spaces, quotes/],
    ['an environment with a quote', { kind: 'lock', environment: 'st"aging' }, /has spaces, quotes/],
    ['an environment the parser refuses', { kind: 'lock', environment: 'a..b' }, /must not contain `\.\.`/],
    ['an environment that is an option', { kind: 'unlock', environment: '--deploying' }, /is not an option/],
    ['a deploy without a ref', { kind: 'deploy' }, /the ref is missing/],
    [
      'a ref git refuses',
      { kind: 'deploy', ref: 'feature..x' },
      /is not a valid git ref: it cannot contain `\.\.`/,
    ],
    ['a ref that is the dry-run option', { kind: 'deploy', ref: '--dry-run' }, /nothing may start with `-`/],
    ['a ref that is a parameter', { kind: 'deploy', ref: 'replicas=3' }, /hold `=`/],
    ['a version with a space', { kind: 'deploy', ref: 'main', version: '1 2' }, /the version .* one word/],
    [
      'a rollback target the parser refuses',
      { kind: 'rollback', target: 'v1/2' },
      /not a version or deployment id/,
    ],
    ['a verdict without a pull request', { kind: 'approve' }, /is not a number such as 42/],
    ['a verdict on a pull request and a release', { kind: 'approve', pull: '4', release: 'v1' }, /not both/],
    ['a release tag git refuses', { kind: 'approve', release: 'v1..2' }, /not a valid git ref/],
    ['a pull request that is no number', { kind: 'reject', pull: '#42' }, /is not a number such as 42/],
    ['a reason over two lines', { kind: 'lock', reason: 'one\n/deploy production' }, /one line/],
    ['a reason too long', { kind: 'lock', reason: 'x'.repeat(300) }, /at most 256 fit/],
    ['an unclosed quote', { kind: 'reject', pull: '1', reason: '"why' }, /quote is never closed/],
  ])('refuses %s, saying why', (_name, fields, problem) => {
    const parsed = parseActionForm(form(fields));
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
  });
});

const row: EnvironmentRow = {
  environment: 'st<a>ging',
  deploymentId: 1,
  version: 'v1',
  sha: 'a'.repeat(40),
  state: 'success',
  since: '2026-12-02T03:51:16Z',
  by: 'octocat',
  lock: undefined,
};

describe('the forms and the result', () => {
  test('every form posts to the repository, with the page token, its own action id and the environment', () => {
    let next = 0;
    const html = rowActions(
      { repository: 'octo-org/hello service', csrfToken: 'tok"en', newId: () => ++next },
      row,
    );
    expect(
      html.match(/<form method="post" action="\/dashboard\/octo-org\/hello%20service\/actions"/g),
    ).toHaveLength(4);
    expect(html.match(/name="csrf" value="tok&quot;en"/g)).toHaveLength(4);
    expect([...html.matchAll(/name="action" value="(\d+)"/g)].map((m) => m[1]).sort()).toEqual([
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(html).toContain('name="environment" value="st&lt;a&gt;ging"');
    expect(html).not.toContain('<a>');
    expect(html).toContain('data-kind="lock"');
    expect(
      rowActions({ repository: 'o/r', csrfToken: 't' }, { ...row, lock: { holder: 'x', since: '' } }),
    ).toContain('data-kind="unlock"');
  });

  test("the handlers' Markdown becomes escaped HTML", () => {
    expect(markdownHtml('Rejected `v1 <b>` to `staging`: ``a`b``.')).toBe(
      '<p>Rejected <code>v1 &lt;b&gt;</code> to <code>staging</code>: <code>a`b</code>.</p>',
    );
    expect(markdownHtml('Gates:\n\n- ✅ **lock**: free\n- ⏳ **approvals**: 0 of 1')).toBe(
      '<p>Gates:</p>\n<ul><li>✅ <strong>lock</strong>: free</li><li>⏳ <strong>approvals</strong>: 0 of 1</li></ul>',
    );
    expect(
      markdownHtml('[Deployment #7](https://github.com/o/r/deployments) and [x](javascript:alert(1))'),
    ).toBe(
      '<p><a href="https://github.com/o/r/deployments">Deployment #7</a> and [x](javascript:alert(1))</p>',
    );
    expect(markdownHtml('<script>alert(1)</script> `unclosed')).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; `unclosed</p>',
    );
  });

  test('a result is announced: a status when done, an alert when not', () => {
    expect(resultNotice({ ok: true, message: 'Locked.' })).toMatch(/role="status" data-ok="true"/);
    const refused = resultNotice({ ok: false, message: 'No.', link: { href: 'https://x/"y', text: '<i>' } });
    expect(refused).toMatch(/role="alert" data-ok="false"/);
    expect(refused).toContain('<a href="https://x/&quot;y">&lt;i&gt;</a>');
  });
});
