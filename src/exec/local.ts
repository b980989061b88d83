/**
 * The `local` executor: runs programs on this machine with execa (no shell). Used in direct mode, by the
 * host-side agent, and in tests.
 */
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { execa } from "execa";
import { CancelledError, ExecError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import type { Executor, RunOptions, RunResult } from "./executor.ts";
import { OutputTail, lastLines } from "./output.ts";

/** Creates the local executor. */
export function localExecutor(): Executor {
  return {
    kind: "local",
    location: "this machine",
    run: runLocal,
    close: async () => {},
  };
}

// --- internal ---

async function runLocal(program: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { signal, stdin, stdout, env, cwd, check = true, timeoutMs } = options;
  const child = execa(program, args, {
    ...(cwd === undefined ? {} : { cwd }),
    ...(env === undefined ? {} : { env }),
    ...(signal === undefined ? {} : { cancelSignal: signal }),
    ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
    stdin: "pipe",
    buffer: false,
    reject: false,
    forceKillAfterDelay: 5000,
  });
  const out = new OutputTail();
  const err = new OutputTail();
  child.stderr?.on("data", (chunk: Buffer) => err.push(chunk));
  const feeding = feedStdin(child.stdin, stdin);
  const draining = stdout && child.stdout ? pipeline(child.stdout, stdout, { end: false }) : collect(child.stdout, out);
  const [result] = await Promise.all([child, feeding.catch(() => {}), draining.catch(() => {})]);
  const where = `'${program}' on this machine`;
  if (result.isCanceled || signal?.aborted) throw new CancelledError(`Cancelled while running ${where}.`, { cause: signal?.reason });
  if (result.timedOut) throw new ExecError(`${where} did not finish within ${timeoutMs} ms and was stopped.`);
  if (result.failed && result.exitCode === undefined) {
    throw new ExecError(`Could not run ${where}: ${redact(result.shortMessage ?? "unknown error")}`, { hint: `Check that '${program}' is installed and on PATH.`, cause: result.cause });
  }
  const exitCode = result.exitCode ?? 1;
  const stderrText = redact(err.text());
  if (check && exitCode !== 0) {
    throw new ExecError(`${where} exited with code ${exitCode}${stderrText ? `:\n${lastLines(stderrText)}` : "."}`);
  }
  return { exitCode, stdout: out.text(), stderr: stderrText };
}

async function feedStdin(sink: NodeJS.WritableStream | null, input: RunOptions["stdin"]): Promise<void> {
  if (!sink) return;
  if (input === undefined) {
    sink.end();
    return;
  }
  await pipeline(typeof input === "string" || Buffer.isBuffer(input) ? Readable.from([input]) : input, sink);
}

async function collect(source: NodeJS.ReadableStream | null, into: OutputTail): Promise<void> {
  if (!source) return;
  for await (const chunk of source) into.push(Buffer.from(chunk as Buffer));
}
