import type { CommandRunner } from '../../src/build/run.ts';
import { endGroup, startGroup } from '../runner-io.ts';

const TAIL_LINES = 20;

/**
 * Runs programs with `@actions/exec` inside a log group, streaming their output to the log and
 * keeping the last lines for the error message. Loaded only when there is something to run.
 */
export async function createExecRunner(): Promise<CommandRunner> {
  const { exec } = await import('@actions/exec');
  return {
    async run(program, args, cwd, title) {
      const tail: string[] = [];
      const keep = (line: string): void => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      };
      startGroup(title);
      try {
        const exitCode = await exec(program, [...args], {
          cwd,
          ignoreReturnCode: true,
          listeners: { stdline: keep, errline: keep },
        });
        return { exitCode, outputTail: tail };
      } finally {
        endGroup();
      }
    },
  };
}
