import { describe, expect, test } from '@jest/globals';
import { renderHelp } from '../../app/commands/help.ts';
import { parseComment, renderCommand, type Command } from '../../app/commands/parse.ts';
import { renderConfigProblems } from '../../app/config-check.ts';
import { ConfigError, parseConfigText } from '../../src/config/parse.ts';
import { capBody, cell, code, COMMENT_LIMIT } from '../../src/github/markdown.ts';
import { hostileComment } from '../support/hostile-comments.ts';
import { hostileConfig } from '../support/hostile-configs.ts';
import { hostileText, liveMarkup, seededRandom } from '../support/gfm.ts';

const COMMENTS = 100_000;
const CONFIG_FILES = 1_000;

/** The user's values a parsed command carries, each of which some reply may echo. */
function userValues(command: Command): string[] {
  switch (command.kind) {
    case 'deploy':
      return [
        command.environment,
        ...(command.ref === undefined ? [] : [command.ref]),
        ...Object.entries(command.params).flat(),
      ];
    case 'rollback':
      return [command.environment, ...(command.target === undefined ? [] : [command.target])];
    case 'lock':
      return [command.environment, ...(command.reason === undefined ? [] : [command.reason])];
    case 'reject':
      return [command.environment ?? '', command.reason ?? ''];
    case 'approve':
    case 'status':
      return [command.environment ?? ''];
    case 'unlock':
      return [command.environment];
    case 'help':
      return [];
  }
}

/** What is wrong with a reply body, if anything: too long, or live markup. */
function replyProblems(reply: string): string[] {
  const problems = liveMarkup(reply);
  if (reply.length > COMMENT_LIMIT) problems.push(`${reply.length} characters`);
  return problems;
}

describe('fuzz: 100,000 seeded comments through the parser and the Markdown a reply echoes them with', () => {
  test(
    `${COMMENTS.toLocaleString('en-US')} comments: parseComment never throws, is linear, round-trips, ` +
      'and its problems, the values as code spans and cells, and /help over hostile names render as literal text under the limit',
    () => {
      const random = seededRandom(20_261_201);
      const failures: { body: string; reply: string; problems: string[] }[] = [];
      const check = (body: string, reply: string): void => {
        const problems = replyProblems(reply);
        if (problems.length > 0 && failures.length < 20)
          failures.push({ body: body.slice(0, 300), reply: reply.slice(0, 600), problems });
      };
      // Time and length of the bodies over 100,000 characters, to show the parser is linear in them.
      let hugeMs = 0;
      let hugeLength = 0;
      const kinds = new Map<string, number>();
      for (let index = 0; index < COMMENTS; index++) {
        const body = hostileComment(random, { huge: true, deployableRefsOnly: false });
        const started = performance.now();
        const parsed = parseComment(body);
        if (body.length > 100_000) {
          hugeMs += performance.now() - started;
          hugeLength += body.length;
        }
        kinds.set(parsed.kind, (kinds.get(parsed.kind) ?? 0) + 1);
        if (parsed.kind === 'invalid') {
          check(body, `${code(`/${parsed.name}`)}: ${parsed.problem}. Usage: ${code(parsed.usage)}`);
        } else if (parsed.kind === 'unknown') {
          expect(parsed.name).toMatch(/^[A-Za-z][A-Za-z0-9_-]*$/);
        } else if (parsed.kind === 'command') {
          const { command } = parsed;
          // Every value as a reply sentence and as a table row, as the handlers and the sticky comment show them.
          for (const value of userValues(command)) {
            check(body, `There is no environment ${code(value)}. Known: ${code('staging')}.`);
            check(body, `| ${cell(value)} | ${cell(command.kind)} |`);
          }
          const again = parseComment(renderCommand(command));
          if (again.kind !== 'command' || JSON.stringify(again.command) !== JSON.stringify(command))
            failures.push({ body, reply: renderCommand(command), problems: ['no round trip'] });
          if (command.kind !== 'help' && random() < 0.01) check(body, renderHelp(userValues(command)));
        }
      }
      expect(failures).toEqual([]);
      // Linear: the huge bodies took under 100 ms per 100,000 characters, summed so one GC pause does not decide.
      expect(hugeLength).toBeGreaterThan(1_000_000);
      expect(hugeMs / (hugeLength / 100_000)).toBeLessThan(100);
      // The mix reached every kind of result.
      expect([...kinds.keys()].sort()).toEqual(['command', 'invalid', 'none', 'unknown']);
    },
  );

  test('/help with 3,000 hostile environment names stays literal, useful and under the limit', () => {
    const random = seededRandom(7);
    const names = Array.from({ length: 3_000 }, () => hostileText(random));
    const help = renderHelp(names);
    expect(replyProblems(help)).toEqual([]);
    expect(help).toMatch(/and [\d,]+ more$/);
  });
});

describe('fuzz: 1,000 seeded configuration files through parseConfigText and the reply that lists their problems', () => {
  test(`${CONFIG_FILES.toLocaleString('en-US')} files: no crash but ConfigError, every problem placed on a line, replies literal and under the limit`, () => {
    const random = seededRandom(1_000);
    const failures: { text: string; problems: string[] }[] = [];
    let invalid = 0;
    for (let index = 0; index < CONFIG_FILES; index++) {
      const text = hostileConfig(random);
      try {
        parseConfigText(text);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        invalid++;
        const unplaced = error.problems.filter((problem) => problem.line === undefined);
        // Only a whole-file problem has no line: too large, or aliases that would expand without bound.
        const wholeFile = unplaced.every((problem) => problem.pointer === '' && error.problems.length === 1);
        const reply = capBody(
          `${code('.github/rollgate.yml')} is invalid.\n\n${renderConfigProblems(error)}`,
        );
        const problems = [...replyProblems(reply), ...(wholeFile ? [] : ['a problem without a line'])];
        if (problems.length > 0 && failures.length < 10) failures.push({ text, problems });
      }
    }
    expect(failures).toEqual([]);
    expect(invalid).toBeGreaterThan(CONFIG_FILES / 2);
  });
});
