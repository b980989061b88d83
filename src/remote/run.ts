/**
 * Runs a job on the host: starts `env <MALLOC_ENV> node <NODE_FLAGS> <bundle> agent run --json` through the executor, writes the job on its
 * standard input, turns its JSON lines back into events for the local sink, answers its confirmation
 * requests, and returns its result — or throws its error with the same code, exit code, message and hint.
 *
 * Cancelling (the signal) first asks the host-side run to stop (a `cancel` message: it cleans up, restarts
 * the services it stopped, and its clean-up log still arrives here); if it has not ended after `killAfterMs`,
 * the executor kills it.
 */
import { PassThrough, Writable } from "node:stream";
import { CancelledError, ExecError } from "../core/errors.ts";
import { nodeCommand } from "../core/node-flags.ts";
import type { EventSink } from "../core/events.ts";
import type { Executor } from "../exec/executor.ts";
import { containerAgentCommand } from "./container.ts";
import type { AgentJob } from "./job.ts";
import { errorFromLine, errorLine, parseHostLine } from "./protocol.ts";
import type { ControlMessage, ErrorLine, ResultLine } from "./protocol.ts";

export interface RemoteRunOptions {
  executor: Executor;
  /** Node.js binary on the host. */
  node: string;
  /** Absolute path of the agent bundle on the host. */
  bundlePath: string;
  /** Run the bundle in a `node:22` container on this compose network instead of with `node` (container.ts). */
  containerNetwork?: string;
  /** Docker CLI on the host for the container. @default "docker" */
  docker?: string;
  job: AgentJob;
  /** Where the host's events go. */
  sink: EventSink;
  signal?: AbortSignal;
  /**
   * Asks the operator; resolves when agreed, throws otherwise (the error is sent to the host, which fails
   * with it). Absent: every request is refused.
   */
  confirm?: (question: string) => Promise<void>;
  /** After a cancel, how long the host-side run gets to clean up before it is killed. @default 120000 */
  killAfterMs?: number;
}

/** The host-side command's result document and text. */
export interface RemoteResult {
  doc: unknown;
  text?: string;
}

/**
 * Runs the job and resolves with its result.
 * @throws the host-side error (same class for stackvault's codes), CancelledError when cancelled, ExecError
 * when the host-side process ended without a result (its standard error tail is in the message).
 */
export async function runOnHost(options: RemoteRunOptions): Promise<RemoteResult> {
  const { executor, job, sink, signal } = options;
  const input = new PassThrough();
  const send = (message: AgentJob | ControlMessage): void => {
    if (!input.writableEnded) input.write(`${JSON.stringify(message)}\n`);
  };
  let result: ResultLine | undefined;
  let failure: ErrorLine | undefined;
  const others: string[] = [];
  const pending: Promise<void>[] = [];
  const handle = (line: string): void => {
    if (line.trim() === "") return;
    const parsed = parseHostLine(line);
    switch (parsed.type) {
      case "event":
        sink(parsed.event);
        return;
      case "confirm":
        pending.push(answer(parsed.question));
        return;
      case "result":
        result = parsed;
        input.end();
        return;
      case "error":
        failure = parsed;
        input.end();
        return;
      default:
        others.push(parsed.text);
        if (others.length > 20) others.shift();
    }
  };
  const answer = async (question: string): Promise<void> => {
    try {
      if (!options.confirm) throw new CancelledError("Not confirmed; nothing was changed.");
      await options.confirm(question);
      send({ type: "confirm-reply", ok: true });
    } catch (err) {
      send({ type: "confirm-reply", ok: false, error: errorLine(err) });
    }
  };

  const kill = new AbortController();
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    cancelled = true;
    send({ type: "cancel" });
    killTimer = setTimeout(() => kill.abort(signal?.reason), options.killAfterMs ?? 120_000);
    killTimer.unref();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });

  send(job);
  const lines = new LineSplitter(handle);
  try {
    const launch = options.containerNetwork === undefined ? agentCommand(options.node, options.bundlePath) : containerAgentCommand(options.bundlePath, options.containerNetwork, options.docker);
    const run = await executor.run(launch.program, launch.args, { stdin: input, stdout: lines, check: false, signal: kill.signal });
    lines.flush();
    await Promise.all(pending);
    if (failure) throw errorFromLine(failure);
    if (result && run.exitCode === 0) return { doc: result.doc, ...(result.text === undefined ? {} : { text: result.text }) };
    if (cancelled) throw new CancelledError(`Cancelled; the run on ${executor.location} ended with exit code ${run.exitCode}.`);
    const tail = [...others, ...run.stderr.trim().split("\n")].filter((l) => l.trim() !== "").slice(-10).join("\n");
    throw new ExecError(`The run on ${executor.location} ended with exit code ${run.exitCode} and no result${tail ? `:\n${tail}` : "."}`, {
      hint: run.exitCode === 127 ? "The host's Node.js was not found: set --host-node." : "See the host's output above.",
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (killTimer) clearTimeout(killTimer);
    input.end();
  }
}

// --- internal ---

/** A writable that calls `onLine` for every complete line (UTF-8), the last partial one at `flush`. */
class LineSplitter extends Writable {
  private rest = "";
  private readonly decoder = new TextDecoder();
  private readonly onLine: (line: string) => void;

  constructor(onLine: (line: string) => void) {
    super();
    this.onLine = onLine;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = this.rest + this.decoder.decode(chunk, { stream: true });
    const lines = text.split("\n");
    this.rest = lines.pop() ?? "";
    try {
      for (const line of lines) this.onLine(line);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  flush(): void {
    const last = this.rest + this.decoder.decode();
    this.rest = "";
    if (last !== "") this.onLine(last);
  }
}

/** `env MALLOC_… node NODE_FLAGS BUNDLE agent run --json`: the agent on the host, as every stackvault process runs. */
function agentCommand(node: string, bundlePath: string): { program: string; args: string[] } {
  const { program, args } = nodeCommand(node);
  return { program, args: [...args, bundlePath, "agent", "run", "--json"] };
}
