/**
 * Confirmation before destructive work (restore, stack destroy). `--yes` skips the question; without a
 * terminal there is never a question, so `--yes` is required there.
 */
import { createInterface } from "node:readline/promises";
import type { Readable } from "node:stream";
import { CancelledError, UsageError } from "../core/errors.ts";
import type { OutStream } from "./io.ts";

export interface ConfirmOptions {
  /** `--yes` was given. */
  yes: boolean;
  /** The flag to name when a terminal is missing. @default "--yes" */
  flag?: string;
  /** Answer taken on an empty line: the seed asks `[O/n]` before a backed-up destroy, `[o/N]` otherwise. @default false */
  defaultYes?: boolean;
  /** Where the answer is read. @default process.stdin */
  input?: Readable & { isTTY?: boolean };
  /** Where the question is written. @default process.stderr */
  output?: OutStream & NodeJS.WritableStream;
  signal?: AbortSignal;
}

/**
 * Asks `question` and resolves when the operator agrees.
 * @throws UsageError when there is no terminal and `yes` is false.
 * @throws CancelledError when the operator declines (nothing was changed) or the signal aborts.
 */
export async function confirm(question: string, options: ConfirmOptions): Promise<void> {
  if (options.yes) return;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (input.isTTY !== true) {
    throw new UsageError(`${question.replace(/\?$/, "")}: confirmation needed, and there is no terminal to ask on.`, {
      hint: `Add ${options.flag ?? "--yes"} to confirm non-interactively.`,
    });
  }
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = (await rl.question(`${question} ${options.defaultYes === true ? "[Y/n]" : "[y/N]"} `, { signal: options.signal })).trim().toLowerCase();
    const agreed = answer === "" ? options.defaultYes === true : ["y", "yes", "o", "oui"].includes(answer);
    if (!agreed) throw new CancelledError("Not confirmed; nothing was changed.");
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    throw new CancelledError("Not confirmed; nothing was changed.", { cause: err });
  } finally {
    rl.close();
  }
}

/**
 * Asks the operator to type `expected` (the stack name before `stack destroy`): anything else declines.
 * @throws UsageError when there is no terminal and `yes` is false.
 * @throws CancelledError when the answer differs (nothing was changed) or the signal aborts.
 */
export async function confirmTyped(question: string, expected: string, options: Omit<ConfirmOptions, "defaultYes">): Promise<void> {
  if (options.yes) return;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stderr;
  if (input.isTTY !== true) {
    throw new UsageError(`${question.replace(/[?:]$/, "")}: confirmation needed, and there is no terminal to ask on.`, {
      hint: `Add ${options.flag ?? "--yes"} to confirm non-interactively.`,
    });
  }
  const rl = createInterface({ input, output, terminal: false });
  try {
    const answer = (await rl.question(`${question} Type the stack name '${expected}' to confirm: `, { signal: options.signal })).trim();
    if (answer !== expected) throw new CancelledError(`'${answer}' is not '${expected}'; nothing was changed.`);
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    throw new CancelledError("Not confirmed; nothing was changed.", { cause: err });
  } finally {
    rl.close();
  }
}
