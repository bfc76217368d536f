import { InputError, RollgateError } from '../errors.ts';

/** Several inputs of one step are invalid: each is reported, so one run shows every fix to make. */
export class InputErrors extends RollgateError {
  readonly errors: readonly InputError[];

  constructor(errors: readonly InputError[]) {
    super(
      `${errors.length} inputs are invalid: ${[...new Set(errors.map((e) => e.input))].join(', ')}.`,
      '',
      '',
    );
    this.errors = errors;
  }

  override render(): string {
    return [this.message, ...this.errors.map((error) => `- ${error.render()}`)].join('\n');
  }
}

/**
 * Gathers the input errors of one step instead of stopping at the first: each check runs in
 * `check`, which keeps an InputError and answers undefined, so later checks still run (those
 * that depend on a failed value skip themselves). `throwIfAny` then reports them all at once —
 * the one error as it is, several as an InputErrors. Other errors are not input mistakes and
 * pass straight through.
 */
export class InputErrorCollector {
  readonly #errors: InputError[] = [];

  check<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof InputError) && !(error instanceof InputErrors)) throw error;
      this.#errors.push(...(error instanceof InputErrors ? error.errors : [error]));
      return undefined;
    }
  }

  /** Records an error found without a parse function. */
  add(error: InputError): void {
    this.#errors.push(error);
  }

  get failed(): boolean {
    return this.#errors.length > 0;
  }

  throwIfAny(): void {
    const [first, ...rest] = this.#errors;
    if (first === undefined) return;
    throw rest.length === 0 ? first : new InputErrors(this.#errors);
  }
}

/**
 * Runs the checks, reports every input error together, and answers the checked value: for a
 * parser whose fields do not depend on one another. The value is only returned when no check
 * failed, so `undefined` from a failed check never escapes.
 */
export function collectInputErrors<T>(build: (inputs: InputErrorCollector) => T): T {
  const inputs = new InputErrorCollector();
  const value = build(inputs);
  inputs.throwIfAny();
  return value;
}

/**
 * The name the user wrote for an input: a step that embeds another's inputs under other
 * names (the root action's `health-timeout` for the health check's `timeout`) passes a map, so
 * every message names what the user wrote in `with:`.
 */
export type InputNames<K extends string> = Readonly<Partial<Record<K, string>>>;
