/**
 * The `ssm` executor: runs programs on an EC2 instance through AWS Systems Manager (`SendCommand` with the
 * `AWS-RunShellScript` document), with no inbound port open on the instance.
 *
 * What SSM gives and what this executor adds:
 * - SSM has no standard input, and `GetCommandInvocation` returns at most the first 24,000 characters of
 *   standard output (8,000 of standard error), usually only once the command has ended. So standard input and
 *   output travel through an S3 exchange prefix as chunk objects (`ssm-exchange.ts`, `ssm-script.ts`): output
 *   streams while the command runs, whatever its size, and the JSON-line progress of a remote run arrives as
 *   it is printed (one upload of latency). Without an exchange, only programs without input or environment
 *   can run, and an output that reaches SSM's limit is an error rather than silently cut.
 * - Everything in a command's parameters stays in the SSM command history, readable by anyone allowed
 *   `ssm:ListCommands`. Environment variables (secrets) therefore never go into the script: they travel in
 *   the first input chunk, which the instance fetches with its own role and deletes at once; the script holds
 *   only the exchange's location. The operator deletes the run's prefix when it ends.
 * - Cancelling, or a timeout, sends `CancelCommand`; the agent then kills the script.
 * - The exit code is the invocation's `ResponseCode`.
 */
import { randomBytes } from "node:crypto";
import type { GetCommandInvocationCommandOutput, SSMClient } from "@aws-sdk/client-ssm";
import type * as SsmSdk from "@aws-sdk/client-ssm";
import { CancelledError, ConfigError, ExecError, throwIfAborted } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import type { Executor, RunOptions, RunResult } from "./executor.ts";
import { OutputTail, lastLines } from "./output.ts";
import { shellCommand, shellQuote } from "./quote.ts";
import { PID_MARKER } from "./remote-command.ts";
import { RunExchange } from "./ssm-exchange.ts";
import type { SsmExchange } from "./ssm-exchange.ts";
import { ssmScript } from "./ssm-script.ts";

export interface SsmOptions {
  /** The managed instance, `i-…`. */
  instanceId: string;
  ssm: SSMClient;
  /** Where standard input and output travel; without it, runs take no input or environment (see above). */
  exchange?: SsmExchange;
  /** Delay between two polls of the invocation. @default 1000 */
  pollMs?: number;
  /** How long the instance may take to pick the command up before it is given up. @default 600000 */
  deliveryTimeoutMs?: number;
}

/** Characters of standard output SSM returns at most; an output of this length may have been cut. */
export const SSM_OUTPUT_LIMIT = 24_000;

/** Creates an SSM executor. Nothing is sent before the first `run`. */
export function ssmExecutor(options: SsmOptions): Executor {
  if (!/^(i|mi)-[0-9a-f]{8,17}$/.test(options.instanceId)) throw new ConfigError(`'${options.instanceId}' is not an instance id (i-…).`);
  const location = `ssm://${options.instanceId}`;
  return {
    kind: "ssm",
    location,
    run: (program, args, runOptions = {}) => runSsm(options, location, program, args, runOptions),
    close: async () => {},
  };
}

// --- internal ---

const TERMINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut", "Cancelling"]);
/** Longest execution SSM allows (48 h); a run without its own timeout gets it instead of SSM's default hour. */
const MAX_EXECUTION_SECONDS = 172_800;

async function runSsm(options: SsmOptions, location: string, program: string, args: readonly string[], run: RunOptions): Promise<RunResult> {
  const { signal, stdin, stdout, env, cwd, check = true, timeoutMs } = run;
  throwIfAborted(signal);
  const sdk = await import("@aws-sdk/client-ssm");
  const runId = `${new Date().toISOString().replace(/[-:.]/g, "")}-${randomBytes(6).toString("hex")}`;
  const exchange = options.exchange ? new RunExchange(options.exchange, runId) : undefined;
  const out = new OutputTail();
  const write = async (chunk: Buffer): Promise<void> => {
    if (!stdout) return out.push(chunk);
    if (!stdout.write(chunk)) await new Promise((resolve) => stdout.once("drain", resolve));
  };
  let commands: string;
  let inputError: unknown;
  const stopInput = new AbortController();
  let sending: Promise<void> = Promise.resolve();
  if (exchange) {
    const { script, preamble } = ssmScript(program, args, env, cwd, exchange.url);
    commands = script;
    // Input streams while the command runs (the host polls for each chunk). If it cannot be stored, the run
    // is stopped: the host would wait for it for ever.
    sending = exchange.sendInput(preamble, stdin, stopInput.signal).catch((err: unknown) => {
      inputError = err;
      stop("failed");
    });
  } else {
    if (stdin !== undefined || (env && Object.keys(env).length > 0)) {
      throw new ConfigError(`Running '${program}' on ${location} needs standard input or environment variables, which SSM cannot carry without an S3 exchange location.`, { hint: "Use an S3 target (--target s3://…): its bucket carries the run's input and output." });
    }
    commands = `${cwd === undefined ? "" : `cd -- ${shellQuote(cwd)} || exit 126\n`}exec ${shellCommand(program, args)}`;
  }
  const executionSeconds = timeoutMs === undefined ? MAX_EXECUTION_SECONDS : Math.min(MAX_EXECUTION_SECONDS, Math.ceil(timeoutMs / 1000) + 30);
  let commandId: string | undefined;
  let stopped: "cancelled" | "timeout" | "failed" | undefined;
  const stopWaiters = new Set<() => void>();
  const stop = (why: "cancelled" | "timeout" | "failed"): void => {
    stopped ??= why;
    for (const wake of stopWaiters) wake();
  };
  const stopReason = (): typeof stopped => stopped;
  const onAbort = (): void => stop("cancelled");
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        stopWaiters.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      stopWaiters.add(wake);
    });
  try {
    if (signal?.aborted) stop("cancelled");
    if (stopped === "cancelled") throw new CancelledError(`Cancelled before '${program}' started on ${location}.`, { cause: signal?.reason });
    try {
      const sent = await options.ssm.send(
        new sdk.SendCommandCommand({
          InstanceIds: [options.instanceId],
          DocumentName: "AWS-RunShellScript",
          Comment: `stackvault: ${program}`.slice(0, 100),
          TimeoutSeconds: Math.max(30, Math.ceil((options.deliveryTimeoutMs ?? 600_000) / 1000)),
          Parameters: { commands: [commands], executionTimeout: [String(executionSeconds)] },
        }),
      );
      commandId = sent.Command?.CommandId;
    } catch (err) {
      throw new ExecError(`Cannot send '${program}' to ${location}: ${redact((err as Error).message)}`, { cause: err, hint: "Check that the instance is managed by SSM (agent running, instance profile with AmazonSSMManagedInstanceCore) and that you may call ssm:SendCommand." });
    }
    if (!commandId) throw new ExecError(`SSM accepted '${program}' for ${location} but returned no command id.`);

    const pollMs = options.pollMs ?? 1000;
    let invocation: GetCommandInvocationCommandOutput | undefined;
    let nativeShown = 0;
    let cancelSent = false;
    let stopDeadline = 0;
    for (;;) {
      if (stopped && !cancelSent) {
        cancelSent = true;
        stopDeadline = Date.now() + 30_000;
        stopInput.abort();
        await options.ssm.send(new sdk.CancelCommandCommand({ CommandId: commandId, InstanceIds: [options.instanceId] })).catch(() => {});
      }
      invocation = await getInvocation(options.ssm, sdk, commandId, options.instanceId);
      if (exchange) await exchange.readOutput(write);
      else if (invocation?.StandardOutputContent && invocation.StandardOutputContent.length > nativeShown) {
        // The API may return output while the command runs: pass on what is new.
        await write(Buffer.from(invocation.StandardOutputContent.slice(nativeShown), "utf8"));
        nativeShown = invocation.StandardOutputContent.length;
      }
      const status = invocation?.Status ?? "Pending";
      if (TERMINAL.has(status) && status !== "Cancelling") break;
      if (["DeliveryTimedOut", "Undeliverable", "Terminated", "InvalidPlatform", "AccessDenied"].includes(invocation?.StatusDetails ?? "")) break;
      // A stopped command whose cancellation is not confirmed in time is left to SSM.
      if (cancelSent && Date.now() > stopDeadline) break;
      await sleep(stopped ? Math.min(pollMs, 500) : pollMs);
    }
    stopInput.abort();
    const status = invocation?.Status ?? "Pending";
    const detail = invocation?.StatusDetails ?? status;
    // Read through a call: the closures above set it, which type narrowing cannot see.
    const why = stopReason();
    if (why === "failed") {
      throw new ExecError(`Cannot store the input of '${program}' in ${exchange?.url ?? "the exchange"}: ${redact((inputError as Error).message)}`, { cause: inputError, hint: "Check that you may write to the target bucket." });
    }
    if (why === "cancelled") throw new CancelledError(`Cancelled while running '${program}' on ${location}.`, { cause: signal?.reason });
    if (why === "timeout" || (status === "TimedOut" && detail !== "DeliveryTimedOut")) throw new ExecError(`'${program}' on ${location} did not finish within ${timeoutMs ?? executionSeconds * 1000} ms and was stopped.`);
    if (!["Success", "Failed"].includes(status)) {
      throw new ExecError(`'${program}' did not run on ${location}: SSM reports ${detail}.`, { hint: "Check in the SSM console that the instance is online and managed (Fleet Manager), and its SSM agent's log." });
    }
    if (exchange) {
      // The output record is complete once the script has ended; absent, the script never ran as sent.
      const { ended } = await exchange.readOutput(write);
      if (!ended) throw new ExecError(`'${program}' on ${location} ended (${detail}, exit code ${invocation?.ResponseCode ?? "?"}) without its output record in ${exchange.url}.${tailOf(invocation)}`, { hint: "The instance needs the AWS CLI and an instance role that may read, write and delete objects under that prefix." });
    } else if ((invocation?.StandardOutputContent?.length ?? 0) >= SSM_OUTPUT_LIMIT) {
      throw new ExecError(`The output of '${program}' on ${location} reached SSM's limit of ${SSM_OUTPUT_LIMIT} characters and may be cut.`, { hint: "Use an S3 target so the output travels through its bucket." });
    }
    const exitCode = invocation?.ResponseCode ?? 1;
    const stderrText = redact(stripPidLine(invocation?.StandardErrorContent ?? ""));
    if (check && exitCode !== 0) throw new ExecError(`'${program}' on ${location} exited with code ${exitCode}${stderrText ? `:\n${lastLines(stderrText)}` : "."}`);
    return { exitCode, stdout: out.text(), stderr: stderrText };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (timer) clearTimeout(timer);
    stopInput.abort();
    await sending.catch(() => {});
    await exchange?.remove().catch(() => {});
  }
}

async function getInvocation(ssm: SSMClient, sdk: typeof SsmSdk, commandId: string, instanceId: string): Promise<GetCommandInvocationCommandOutput | undefined> {
  try {
    return await ssm.send(new sdk.GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    // Right after SendCommand the invocation may not exist yet.
    if ((err as { name?: string }).name === "InvocationDoesNotExist") return undefined;
    throw new ExecError(`Cannot follow command ${commandId} on ssm://${instanceId}: ${redact((err as Error).message)}`, { cause: err });
  }
}

function stripPidLine(text: string): string {
  return text.startsWith(PID_MARKER) ? text.slice(text.indexOf("\n") + 1) : text;
}

function tailOf(invocation: GetCommandInvocationCommandOutput | undefined): string {
  const text = stripPidLine(invocation?.StandardErrorContent ?? "").trim();
  return text ? `\n${lastLines(redact(text))}` : "";
}
