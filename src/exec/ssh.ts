/**
 * The `ssh` executor: runs programs on a host over SSH, in pure JavaScript (ssh2), so it works from Windows
 * without OpenSSH. The host key is always verified against a known_hosts file; an unknown host is refused
 * unless `acceptNewHostKey` (then it is recorded), a changed key is always refused.
 *
 * Environment variables (secrets included) are never put on a command line: the remote shell reads them from
 * the first bytes of standard input, then the program gets the rest of standard input.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Client as SshClient, ClientChannel, ConnectConfig } from "ssh2";
import { CancelledError, ConfigError, ExecError, throwIfAborted } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import type { Executor, RunOptions, RunResult } from "./executor.ts";
import { appendKnownHost, findKnownKeys, keyTypeOf, readKnownHosts } from "./known-hosts.ts";
import { OutputTail, lastLines } from "./output.ts";
import { PID_MARKER, remoteCommand } from "./remote-command.ts";
import { openTunnel } from "./tunnel.ts";
import type { Tunnel } from "./tunnel.ts";

export interface SshOptions {
  host: string;
  /** @default 22 */
  port?: number;
  username: string;
  /** Private key file (OpenSSH or PEM). Either this or `agent`. */
  privateKeyFile?: string;
  /** Passphrase of the private key (a secret: never logged). */
  passphrase?: string;
  /** Path of an SSH agent socket (or `pageant` on Windows). */
  agent?: string;
  /** known_hosts file used to verify the host key. */
  knownHostsFile: string;
  /** Record an unknown host's key instead of refusing it. @default false */
  acceptNewHostKey?: boolean;
  /** Connection timeout in milliseconds. @default 20000 */
  connectTimeoutMs?: number;
}

/** The SSH executor, which can also forward local ports to the host's side (direct mode's tunnels). */
export interface SshExecutor extends Executor {
  /** Opens a tunnel from a loopback port here to `host:port` as seen from the host (see `tunnel.ts`). */
  tunnel(host: string, port: number): Promise<Tunnel>;
}

/** Creates an SSH executor. The connection opens on the first `run` or `tunnel` and is reused. */
export function sshExecutor(options: SshOptions): SshExecutor {
  const port = options.port ?? 22;
  const location = `ssh://${options.username}@${options.host}:${port}`;
  let connecting: Promise<SshClient> | undefined;
  const connection = (): Promise<SshClient> => (connecting ??= connect(options, port, location));
  return {
    kind: "ssh",
    location,
    run: async (program, args, runOptions = {}) => runRemote(await connection(), location, program, args, runOptions),
    tunnel: async (host, port) => openTunnel(await connection(), host, port, location),
    close: async () => {
      if (connecting) (await connecting.catch(() => undefined))?.end();
      connecting = undefined;
    },
  };
}

// --- internal ---

async function connect(options: SshOptions, port: number, location: string): Promise<SshClient> {
  const { Client } = await import("ssh2");
  if (!options.privateKeyFile && !options.agent) throw new ConfigError(`No SSH credential for ${location}.`, { hint: "Give a private key file (--ssh-key) or an agent socket." });
  let privateKey: Buffer | undefined;
  if (options.privateKeyFile) {
    try {
      privateKey = await readFile(options.privateKeyFile);
    } catch (err) {
      throw new ConfigError(`Cannot read the SSH private key file ${options.privateKeyFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const known = findKnownKeys(await readKnownHosts(options.knownHostsFile), options.host, port);
  let refusal: ExecError | undefined;
  const hostVerifier = (key: Buffer, verify: (ok: boolean) => void): void => {
    if (known.some((k) => k.key.equals(key))) return verify(true);
    const type = keyTypeOf(key);
    if (known.length > 0) {
      refusal = new ExecError(`The host key of ${location} (${type}) does not match the one recorded in ${options.knownHostsFile}. Refusing to connect: the host was replaced or someone is intercepting the connection.`, { hint: "If the host was really rebuilt, remove its old line from the known_hosts file." });
      return verify(false);
    }
    if (!options.acceptNewHostKey) {
      refusal = new ExecError(`The host key of ${location} (${type}) is unknown: it is not in ${options.knownHostsFile}.`, { hint: "Add the host's key to the known_hosts file, or pass --accept-new-host-key once to record it." });
      return verify(false);
    }
    appendKnownHost(options.knownHostsFile, options.host, port, { type, key }).then(() => verify(true), () => verify(false));
  };
  const config: ConnectConfig = {
    host: options.host,
    port,
    username: options.username,
    readyTimeout: options.connectTimeoutMs ?? 20_000,
    keepaliveInterval: 15_000,
    hostVerifier,
    ...(privateKey ? { privateKey } : {}),
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve(client));
    client.once("error", (err: Error) => reject(refusal ?? new ExecError(`Cannot connect to ${location}: ${redact(err.message)}`, { cause: err, hint: "Check the address, the port, the user name and the key." })));
    client.connect(config);
  });
}

async function runRemote(client: SshClient, location: string, program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const { signal, stdin, stdout, env, cwd, check = true, timeoutMs } = options;
  throwIfAborted(signal);
  const { command, preamble } = remoteCommand(program, args, env, cwd);
  const channel = await new Promise<ClientChannel>((resolve, reject) =>
    client.exec(command, (err, stream) => (err ? reject(new ExecError(`Cannot start '${program}' on ${location}: ${err.message}`, { cause: err })) : resolve(stream))),
  );
  const out = new OutputTail();
  const err = new OutputTail();
  let stopped: "cancelled" | "timeout" | undefined;
  let pid: number | undefined;
  let head: Buffer | undefined = Buffer.alloc(0);
  channel.stderr.on("data", (chunk: Buffer) => {
    if (head === undefined) return err.push(chunk);
    head = Buffer.concat([head, chunk]);
    const newline = head.indexOf(10);
    if (newline < 0 && head.length < 64) return;
    const line = head.subarray(0, newline < 0 ? 0 : newline).toString("utf8");
    if (line.startsWith(PID_MARKER)) pid = Number(line.slice(PID_MARKER.length)) || undefined;
    // Stopped before the program said who it is: kill it now.
    if (stopped !== undefined && pid !== undefined) killRemote(client, pid);
    err.push(head.subarray(line.startsWith(PID_MARKER) ? newline + 1 : 0));
    head = undefined;
  });
  let onStopped = (): void => {};
  const grace = new Promise<number>((resolve) => {
    onStopped = () => void setTimeout(() => resolve(255), 10_000).unref();
  });
  const stop = (why: "cancelled" | "timeout"): void => {
    stopped = why;
    // sshd does not forward signals to a session without a terminal: kill the program by its pid from a
    // second channel (TERM, then KILL after a grace period), then close ours.
    if (pid !== undefined) killRemote(client, pid);
    channel.close();
    onStopped();
  };
  const onAbort = (): void => stop("cancelled");
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), timeoutMs);
  try {
    const exit = new Promise<number>((resolve) => {
      let code = 255;
      channel.on("exit", (c: number | null) => (code = c ?? 255));
      channel.on("close", () => resolve(code));
    });
    const input = Readable.from(feed(preamble, stdin));
    const feeding = pipeline(input, channel).catch(() => {});
    const draining = stdout ? pipeline(channel, stdout, { end: false }).catch(() => {}) : collect(channel, out);
    const finished = Promise.all([exit, feeding, draining]).then(([code]) => code);
    // Once stopped, do not wait for a program that ignores its kill longer than the grace period.
    const exitCode = await Promise.race([finished, grace]);
    if (stopped === "cancelled") throw new CancelledError(`Cancelled while running '${program}' on ${location}.`, { cause: signal?.reason });
    if (stopped === "timeout") throw new ExecError(`'${program}' on ${location} did not finish within ${timeoutMs} ms and was stopped.`);
    const stderrText = redact(err.text());
    if (check && exitCode !== 0) throw new ExecError(`'${program}' on ${location} exited with code ${exitCode}${stderrText ? `:\n${lastLines(stderrText)}` : "."}`);
    return { exitCode, stdout: out.text(), stderr: stderrText };
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (timer) clearTimeout(timer);
  }
}

function killRemote(client: SshClient, pid: number): void {
  client.exec(`kill -TERM ${pid} 2>/dev/null; sleep 3; kill -KILL ${pid} 2>/dev/null; true`, (error, stream) => {
    if (!error) stream.resume().stderr.resume();
  });
}

async function* feed(preamble: Buffer, stdin: RunOptions["stdin"]): AsyncGenerator<Buffer> {
  yield preamble;
  if (stdin === undefined) return;
  if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
    yield Buffer.from(stdin);
    return;
  }
  for await (const chunk of stdin) yield Buffer.from(chunk as Buffer);
}

async function collect(source: NodeJS.ReadableStream, into: OutputTail): Promise<void> {
  for await (const chunk of source) into.push(Buffer.from(chunk as Buffer));
}
