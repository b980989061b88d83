/**
 * `stackvault agent run --json`: the host side of a remote run (not for operators). Reads one job (JSON line)
 * on standard input — the command, its options, the effective configuration, the secrets — and runs that
 * command here in direct mode, next to the stores. Standard output carries JSON lines only: the run's events
 * as `--json` prints them, confirmation requests, and a final `result` (or the `--json` error document).
 * After the job, standard input carries the operator's replies and `cancel`; when the operator's side closes
 * it, the run is cancelled and cleans up (services restarted) as after Ctrl-C.
 */
import { createInterface } from "node:readline";
import { CancelledError, UsageError } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import { deepFreeze } from "../../config/load.ts";
import type { Config } from "../../config/schema.ts";
import { registerUrlPassword } from "../../config/secrets.ts";
import { parseJob } from "../../remote/job.ts";
import type { AgentJob } from "../../remote/job.ts";
import { errorFromLine } from "../../remote/protocol.ts";
import type { ControlMessage, ErrorLine } from "../../remote/protocol.ts";
import type { CommandContext } from "../context.ts";
import type { CommandSpec } from "../command.ts";
import { backupCommand } from "./backup.ts";
import { restoreCommand } from "./restore.ts";

export const agentRunCommand: CommandSpec = {
  path: ["agent", "run"],
  summary: "host side of a remote run (started by stackvault over SSH or SSM)",
  description:
    "Runs the data plane on the host: reads one job (JSON) on stdin, runs it next to the stores, and writes progress " +
    "as JSON lines on stdout for the operator's stackvault to render. Operators do not run it by hand; credentials " +
    "come with the job on stdin, never argv.",
  groups: [],
  hidden: true,
  examples: ["stackvault agent run --json < job.json"],
  run: async (ctx) => {
    if (!ctx.json) throw new UsageError("`agent run` speaks JSON lines only: add --json.");
    keepRunningWithoutReader();
    const input = createInterface({ input: process.stdin, crlfDelay: Infinity });
    const lines = input[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done === true) throw new UsageError("`agent run` needs a job on standard input; none came.");
    const job = parseJob(first.value);
    const config = configOf(job);

    const cancel = new AbortController();
    const replies: ((reply: { ok: boolean; error?: ErrorLine }) => void)[] = [];
    void (async () => {
      for (;;) {
        const next = await lines.next().catch(() => ({ done: true as const, value: undefined }));
        if (next.done === true) break;
        const message = parseControl(next.value);
        if (message?.type === "cancel") cancel.abort(new CancelledError("Cancelled by the operator."));
        else if (message?.type === "confirm-reply") replies.shift()?.(message.ok ? { ok: true } : { ok: false, error: message.error });
      }
      // The operator's side is gone: nobody can answer or see the result, so stop and clean up.
      if (job.control) cancel.abort(new CancelledError("The operator's connection closed; the run was cancelled."));
      for (const reply of replies.splice(0)) reply({ ok: false });
    })();

    const inner: CommandContext = {
      config,
      signal: AbortSignal.any([ctx.signal, cancel.signal]),
      json: true,
      io: ctx.io,
      defer: (fn) => ctx.defer(fn),
      render: {
        sink: ctx.render.sink,
        colors: ctx.render.colors,
        result: (doc, text) => ctx.render.result({ type: "result", doc, ...(text === undefined ? {} : { text }) }),
        close: () => {},
      },
      confirm: async (question, { yes }) => {
        if (yes) return;
        if (!job.control) throw new UsageError(`${question.replace(/\?$/, "")}: confirmation needed, and nobody can be asked.`, { hint: "Add --yes." });
        const reply = new Promise<{ ok: boolean; error?: ErrorLine }>((resolve) => replies.push(resolve));
        ctx.io.stdout.write(`${JSON.stringify({ type: "confirm", question })}\n`);
        const { ok, error } = await reply;
        if (!ok) throw error ? errorFromLine(error) : new CancelledError("Not confirmed; nothing was changed.");
      },
    };
    try {
      await (job.command === "backup" ? backupCommand : restoreCommand).run(inner, job.options, []);
    } finally {
      input.close();
    }
  },
};

// --- internal ---

/** The job's configuration, frozen like a loaded one; its secrets registered for redaction, AWS credentials in the environment. */
function configOf(job: AgentJob): Config {
  for (const value of Object.values(job.secrets)) registerSecret(value);
  registerUrlPassword(job.config.redis.url);
  registerUrlPassword(job.config.neo4j.uri);
  registerUrlPassword(job.config.qdrant.url);
  if (job.aws) {
    registerSecret(job.aws.secretAccessKey);
    registerSecret(job.aws.sessionToken);
    // The SDK's default chain reads them; this process's environment is not visible to other users.
    process.env.AWS_ACCESS_KEY_ID = job.aws.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = job.aws.secretAccessKey;
    if (job.aws.sessionToken) process.env.AWS_SESSION_TOKEN = job.aws.sessionToken;
    else delete process.env.AWS_SESSION_TOKEN;
  }
  return deepFreeze({ ...job.config, host: undefined, direct: true, secrets: job.secrets, sources: job.sources }) as Config;
}

function parseControl(line: string): ControlMessage | undefined {
  try {
    const value = JSON.parse(line) as ControlMessage;
    return value !== null && typeof value === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When the operator's connection drops, writes to standard output and error fail (EPIPE). The run must still
 * clean up (restart the services it stopped), so such failures are ignored instead of ending the process.
 */
function keepRunningWithoutReader(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.removeAllListeners("error");
    stream.on("error", () => {});
  }
}
