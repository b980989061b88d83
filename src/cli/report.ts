/**
 * Turning an error into output and an exit code: ours (StackvaultError) print their message and hint;
 * commander's usage errors become exit 2 with commander's message; anything else is a bug and prints its
 * stack. Everything printed is redacted. With `--json` a JSON error document also goes to stdout.
 */
import { CommanderError } from "commander";
import { EXIT_CODES, UsageError, isStackvaultError } from "../core/errors.ts";
import type { StackvaultError } from "../core/errors.ts";
import { redact, redactDeep } from "../core/redact.ts";
import type { Io } from "./io.ts";
import type { Palette } from "./render/color.ts";

/** Commander outcomes that are not failures. */
const SUCCESS_CODES = new Set(["commander.helpDisplayed", "commander.version"]);

/** Converts commander's exceptions into ours; passes everything else through. */
export function fromCommander(err: unknown, usageHint: string): unknown {
  if (!(err instanceof CommanderError)) return err;
  if (SUCCESS_CODES.has(err.code)) return undefined;
  if (err.code === "commander.help" || err.code === "commander.executeSubCommandAsync") {
    return new UsageError("A command is required.", { hint: usageHint });
  }
  return new UsageError(err.message.replace(/^error: /, ""), { hint: usageHint, cause: err });
}

/** Prints `err` and returns the exit code. */
export function reportError(err: unknown, io: Io, json: boolean, colors: Palette): number {
  if (isStackvaultError(err)) {
    const lines = [`${colors.red("error:")} ${err.message}`];
    if (err.hint !== undefined) lines.push(`${colors.dim("hint:")} ${err.hint}`);
    for (const extra of suppressed(err)) lines.push(`also: ${describe(extra)}`);
    io.stderr.write(`${redact(lines.join("\n"))}\n`);
    if (json) io.stdout.write(`${JSON.stringify(redactDeep(errorDocument(err)))}\n`);
    return err.exitCode;
  }
  const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
  io.stderr.write(`${redact(`${colors.red("internal error")} (a bug in stackvault; please report it with this trace):\n${text}`)}\n`);
  if (json) io.stdout.write(`${JSON.stringify({ type: "error", code: "INTERNAL", exitCode: EXIT_CODES.internal, message: redact(err instanceof Error ? err.message : String(err)) })}\n`);
  return EXIT_CODES.internal;
}

/** The `--json` error document. */
export function errorDocument(err: StackvaultError): Record<string, unknown> {
  return { type: "error", code: err.code, exitCode: err.exitCode, message: err.message, ...(err.hint === undefined ? {} : { hint: err.hint }) };
}

// --- internal ---

function suppressed(err: Error): unknown[] {
  const list = (err as Error & { suppressed?: unknown }).suppressed;
  return Array.isArray(list) ? list : [];
}

function describe(err: unknown): string {
  if (isStackvaultError(err)) return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
