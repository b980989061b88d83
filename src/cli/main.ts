/**
 * The CLI entry: parse, load config, run, and map the outcome to an exit code (README "Exit codes").
 * SIGINT/SIGTERM abort the signal handed to the command, which cleans up (restarting services it stopped);
 * the process then exits 130. A second signal exits at once.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CancelledError, EXIT_CODES } from "../core/errors.ts";
import type { CommandSpec } from "./command.ts";
import type { Io } from "./io.ts";
import { processIo, useColor } from "./io.ts";
import { COMMANDS, buildProgram } from "./program.ts";
import { palette } from "./render/color.ts";
import { fromCommander, reportError } from "./report.ts";

/**
 * Runs `stackvault` with `argv` (the words after the program name) and returns the exit code. Never throws.
 * @param signal aborted to cancel the run (the process's signal handlers do this in {@link runAsProcess}).
 * @param commands the commands to offer (default: every command of the contract).
 */
export async function main(
  argv: readonly string[],
  io: Io = processIo(),
  signal: AbortSignal = new AbortController().signal,
  commands: readonly CommandSpec[] = COMMANDS,
): Promise<number> {
  const json = argv.includes("--json");
  const colors = palette(useColor(io.stderr, io.env, !argv.includes("--no-color")));
  try {
    const program = buildProgram({ io, signal }, commands);
    await program.parseAsync([...argv], { from: "user" });
    if (signal.aborted) return reportError(new CancelledError("Cancelled."), io, json, colors);
    return EXIT_CODES.ok;
  } catch (caught) {
    const err = fromCommander(caught, usageHint(argv));
    if (err === undefined) return EXIT_CODES.ok;
    if (signal.aborted) return reportError(new CancelledError("Cancelled; clean-up done.", { cause: err }), io, json, colors);
    return reportError(err, io, json, colors);
  }
}

/** Runs {@link main} on `process.argv` with signal handling, then exits with its code. */
export async function runAsProcess(commands: readonly CommandSpec[] = COMMANDS): Promise<void> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(EXIT_CODES.cancelled);
    process.stderr.write(`\n${name}: cancelling and cleaning up (press Ctrl-C again to exit at once)…\n`);
    controller.abort(new CancelledError(`Cancelled by ${name}.`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A reader that went away (`stackvault list | head`) is not an error of ours: stop quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT_CODES.ok);
      throw err;
    });
  }
  const code = await main(process.argv.slice(2), processIo(), controller.signal, commands);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  process.exitCode = code;
  // Leave time for stdout to drain; exit even if a forgotten handle would keep the process alive.
  setTimeout(() => process.exit(code), 2000).unref();
}

// --- internal ---

function usageHint(argv: readonly string[]): string {
  const words: string[] = [];
  for (const a of argv) {
    if (a.startsWith("-") || !COMMANDS.some((c) => [...words, a].every((w, i) => c.path[i] === w))) break;
    words.push(a);
  }
  return `Run \`stackvault ${words.length > 0 ? `${words.join(" ")} ` : ""}--help\` for the options.`;
}

function isEntry(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await runAsProcess();
