/**
 * A test stand-in for the SSM API (see README.md): AWS JSON 1.1 over HTTP on a loopback port; `SendCommand`
 * really runs the script with `sh` on this machine. Test code only.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

export interface StandinOptions {
  /** The environment scripts run with (the "instance"'s, e.g. S3 coordinates standing for its role). */
  env: Record<string, string>;
  /** Instance ids that exist; others get `InvalidInstanceId`. */
  instanceIds: readonly string[];
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
}

export interface SsmStandin {
  endpoint: string;
  requests: RecordedRequest[];
  /** Process ids of scripts that have not ended. */
  running(): number[];
  close(): Promise<void>;
}

const STDOUT_LIMIT = 24_000;
const STDERR_LIMIT = 8_000;

interface Invocation {
  commandId: string;
  instanceId: string;
  comment: string;
  requestedAt: Date;
  status: "Pending" | "InProgress" | "Success" | "Failed" | "Cancelled" | "TimedOut";
  responseCode: number;
  stdout: string;
  stderr: string;
  child?: ChildProcess;
  parameters: Record<string, string[]>;
  documentName: string;
}

/** Starts the stand-in on a free loopback port. */
export async function startSsmStandin(options: StandinOptions): Promise<SsmStandin> {
  const invocations = new Map<string, Invocation>();
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith("AmazonSSM.") ? target.slice("AmazonSSM.".length) : "";
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        return reply(res, 400, { __type: "SerializationException", message: "body is not JSON" });
      }
      if (!String(req.headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 ")) return reply(res, 400, { __type: "MissingAuthenticationTokenException", message: "unsigned request" });
      requests.push({ operation, body });
      try {
        const handler = HANDLERS[operation];
        if (!handler) return reply(res, 400, { __type: "UnknownOperationException", message: `${operation || target} is not implemented by the stand-in` });
        reply(res, 200, handler(body));
      } catch (err) {
        const e = err as { type?: string; message: string };
        reply(res, 400, { __type: e.type ?? "InternalServerError", message: e.message });
      }
    });
  });

  const fail = (type: string, message: string): never => {
    throw Object.assign(new Error(message), { type });
  };

  const HANDLERS: Record<string, (body: Record<string, unknown>) => unknown> = {
    SendCommand(body) {
      const ids = body.InstanceIds as string[] | undefined;
      if (!Array.isArray(ids) || ids.length !== 1) fail("ValidationException", "exactly one instance id is supported");
      const instanceId = (ids as string[])[0] as string;
      if (!options.instanceIds.includes(instanceId)) fail("InvalidInstanceId", `Instances [[${instanceId}]] not in a valid state for account`);
      if (body.DocumentName !== "AWS-RunShellScript") fail("InvalidDocument", `document ${String(body.DocumentName)} is not supported by the stand-in`);
      const parameters = (body.Parameters ?? {}) as Record<string, string[]>;
      const commands = parameters.commands;
      if (!Array.isArray(commands) || commands.length === 0) fail("InvalidParameters", "commands is required");
      const invocation: Invocation = {
        commandId: randomUUID(),
        instanceId,
        comment: String(body.Comment ?? ""),
        requestedAt: new Date(),
        status: "Pending",
        responseCode: -1,
        stdout: "",
        stderr: "",
        parameters,
        documentName: String(body.DocumentName),
      };
      invocations.set(invocation.commandId, invocation);
      void execute(invocation, (commands as string[]).join("\n"), Number(parameters.executionTimeout?.[0] ?? 3600));
      return { Command: commandDoc(invocation) };
    },
    GetCommandInvocation(body) {
      const invocation = invocations.get(String(body.CommandId));
      if (!invocation || invocation.instanceId !== body.InstanceId) return fail("InvocationDoesNotExist", "");
      const done = !["Pending", "InProgress"].includes(invocation.status);
      return {
        CommandId: invocation.commandId,
        InstanceId: invocation.instanceId,
        Comment: invocation.comment,
        DocumentName: invocation.documentName,
        PluginName: "aws:runShellScript",
        ResponseCode: invocation.responseCode,
        Status: invocation.status,
        StatusDetails: invocation.status,
        StandardOutputContent: done ? invocation.stdout.slice(0, STDOUT_LIMIT) : "",
        StandardErrorContent: done ? invocation.stderr.slice(0, STDERR_LIMIT) : "",
        StandardOutputUrl: "",
        StandardErrorUrl: "",
      };
    },
    CancelCommand(body) {
      const invocation = invocations.get(String(body.CommandId));
      if (!invocation) return fail("InvalidCommandId", "");
      if (invocation.status === "Pending" || invocation.status === "InProgress") {
        invocation.status = "Cancelled";
        if (invocation.child) kill(invocation.child);
      }
      return {};
    },
    ListCommands(body) {
      const wanted = body.CommandId === undefined ? [...invocations.values()] : [invocations.get(String(body.CommandId))].filter((i) => i !== undefined);
      return { Commands: wanted.map(commandDoc) };
    },
  };

  async function execute(invocation: Invocation, script: string, timeoutSeconds: number): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "ssm-standin-"));
    await writeFile(path.join(dir, "_script.sh"), script, { mode: 0o700 });
    // Cancelled before it started: it never runs.
    if (invocation.status !== "Pending") return void (await rm(dir, { recursive: true, force: true }));
    const child = spawn("sh", ["_script.sh"], { cwd: dir, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    invocation.child = child;
    invocation.status = "InProgress";
    child.stdout.on("data", (c: Buffer) => (invocation.stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (invocation.stderr += c.toString("utf8")));
    const timer = setTimeout(() => {
      invocation.status = "TimedOut";
      kill(child);
    }, timeoutSeconds * 1000);
    const code = await new Promise<number>((resolve) => child.on("close", (c: number | null) => resolve(c ?? -1)));
    clearTimeout(timer);
    if (invocation.status === "InProgress") invocation.status = code === 0 ? "Success" : "Failed";
    const ended = invocation.status as Invocation["status"];
    invocation.responseCode = ended === "Cancelled" || ended === "TimedOut" ? -1 : code;
    invocation.child = undefined;
    await rm(dir, { recursive: true, force: true });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    running: () => [...invocations.values()].flatMap((i) => (i.child?.pid ? [i.child.pid] : [])),
    close: async () => {
      for (const invocation of invocations.values()) if (invocation.child) kill(invocation.child);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// --- internal ---

function commandDoc(invocation: Invocation): Record<string, unknown> {
  return {
    CommandId: invocation.commandId,
    DocumentName: invocation.documentName,
    Comment: invocation.comment,
    InstanceIds: [invocation.instanceId],
    Parameters: invocation.parameters,
    RequestedDateTime: invocation.requestedAt.getTime() / 1000,
    Status: invocation.status,
  };
}

/** Kills the script's whole process group, as the agent does. */
function kill(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

function reply(res: http.ServerResponse, status: number, doc: unknown): void {
  const text = JSON.stringify(doc);
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(text), "x-amzn-requestid": randomUUID() });
  res.end(text);
}
