/**
 * Errors a user can meet. Each carries what happened, why, and what to do about it, and is
 * rendered once at the edge (an action's failure message, a pull-request reply).
 */
export class RollgateError extends Error {
  readonly why: string;
  readonly fix: string;

  constructor(what: string, why: string, fix: string) {
    super(what);
    this.name = new.target.name;
    this.why = why;
    this.fix = fix;
  }

  /** The message as a user reads it: what, why, and the fix, one per sentence. */
  render(): string {
    return [this.message, this.why, this.fix].filter((part) => part.length > 0).join(' ');
  }
}

/** An action input (or command argument) that cannot be used as given. */
export class InputError extends RollgateError {
  readonly input: string;

  constructor(input: string, what: string, fix: string) {
    super(`Input '${input}' is invalid: ${what}.`, '', fix);
    this.input = input;
  }
}

/** A command (build, test, docker) that ran and failed. */
export class CommandError extends RollgateError {}

/** A tool the run needs (docker, kubectl config) is not available. */
export class MissingToolError extends RollgateError {}

/** Renders any thrown value for a person: our errors with their fix, others by message. */
export function describeError(error: unknown): string {
  if (error instanceof RollgateError) return error.render();
  if (error instanceof Error) return error.message;
  return String(error);
}
