/**
 * The reference pages users read are the ones the code implies: the actions' and configuration's
 * pages are generated (and must be current), and the commands page names every command as `/help`
 * and error replies quote it.
 */
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_USAGE } from '../../app/commands/help.ts';
import { repositoryRoot } from '../support/runner.ts';

describe('generated reference pages are current', () => {
  test.each([
    ['docs/actions.md', 'scripts/action-docs.mjs'],
    ['docs/configuration.md', 'scripts/config-docs.mjs'],
  ])('%s matches what %s generates from the sources', (_page, script) => {
    const run = spawnSync(process.execPath, [join(repositoryRoot, script), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('every key of the configuration schema has a row', () => {
    const page = readFileSync(join(repositoryRoot, 'docs/configuration.md'), 'utf8');
    for (const key of [
      '_extends',
      'environments.<name>.requires.approvers',
      'environments.<name>.windows[].timezone',
      'environments.<name>.freezes[].reason',
      'commands.allow_forks',
    ])
      expect(page).toContain(`| \`${key}\` |`);
  });
});

describe('docs/commands.md', () => {
  const page = readFileSync(join(repositoryRoot, 'docs/commands.md'), 'utf8');
  test.each(Object.entries(COMMAND_USAGE))('documents /%s with its usage line', (_kind, usage) => {
    expect(page).toContain(`## \`${usage}\``);
  });
});
