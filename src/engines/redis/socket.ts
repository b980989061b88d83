/**
 * Raw sockets to Redis (plain or TLS), for the two paths where a general client costs too much: the
 * replication stream and the pipelined `RESTORE` load. {@link RespPipe} writes commands without waiting and
 * matches the one-line replies (`+OK` / `-ERR …`) to them, with bounded bytes in flight.
 */
import net from "node:net";
import tls from "node:tls";
import { EngineError } from "../../core/errors.ts";
import { type RedisConnectionOptions, connectionHint, tlsOptions } from "./connection.ts";

/** Connects; the socket is destroyed when `signal` aborts. @throws EngineError when unreachable. */
export async function connectSocket(options: RedisConnectionOptions, signal: AbortSignal): Promise<net.Socket> {
  const socket = options.tls
    ? tls.connect(tlsOptions(options))
    : net.connect({ host: options.host, port: options.port, signal });
  await new Promise<void>((resolve, reject) => {
    socket.once(options.tls ? "secureConnect" : "connect", () => resolve());
    socket.once("error", (err) => reject(new EngineError(`Cannot reach Redis at ${options.host}:${options.port}: ${err.message}`, { cause: err, hint: connectionHint(err) })));
  });
  socket.setNoDelay(true);
  const abort = (): void => void socket.destroy(signal.reason as Error);
  signal.addEventListener("abort", abort, { once: true });
  socket.once("close", () => signal.removeEventListener("abort", abort));
  return socket;
}


/** Encodes one command in RESP, in a single allocation. */
export function encodeCommand(args: ReadonlyArray<Buffer | string | number>): Buffer {
  const bytes = args.map((arg) => (Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))));
  let size = 3 + String(args.length).length;
  for (const b of bytes) size += 5 + String(b.length).length + b.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.write(`*${args.length}\r\n`, 0, "latin1");
  for (const b of bytes) {
    at += out.write(`$${b.length}\r\n`, at, "latin1");
    at += b.copy(out, at);
    out[at++] = 13;
    out[at++] = 10;
  }
  return out;
}

/** Pipelines commands whose replies are single lines. The first error reply fails {@link RespPipe.drain}. */
export class RespPipe {
  private readonly socket: net.Socket;
  private readonly maxInFlight: number;
  private readonly pending: Array<{ label: string | (() => string); bytes: number }> = [];
  private head = 0;
  private outgoing: Buffer[] = [];
  private outgoingBytes = 0;
  private inFlight = 0;
  private partial = "";
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(socket: net.Socket, maxInFlightBytes: number) {
    this.socket = socket;
    this.maxInFlight = maxInFlightBytes;
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(new EngineError(`The connection to Redis failed during the load: ${err.message}`, { cause: err })));
    socket.on("close", () => this.fail(new EngineError("Redis closed the connection during the load.")));
  }

  /** Sends one command; waits while too many bytes await their reply. `label` names it in an error. */
  async send(command: Buffer, label: string): Promise<void> {
    if (this.push(command, label)) await this.room();
  }

  /** Queues one command without waiting; true when the caller must `await room()` before the next. */
  push(command: Buffer, label: string | (() => string)): boolean {
    if (this.failure) throw this.failure;
    this.pending.push({ label, bytes: command.length });
    this.inFlight += command.length;
    this.outgoing.push(command);
    this.outgoingBytes += command.length;
    if (this.outgoingBytes >= WRITE_BYTES) this.writeOut();
    return this.inFlight > this.maxInFlight;
  }

  /** Waits until the bytes awaiting replies are under the bound. */
  async room(): Promise<void> {
    while (this.inFlight > this.maxInFlight && this.failure === undefined) {
      this.writeOut();
      await this.waitReply();
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every reply. @throws EngineError naming the first refused command. */
  async drain(): Promise<void> {
    this.writeOut();
    while (this.head < this.pending.length && this.failure === undefined) await this.waitReply();
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.failure ??= new EngineError("closed");
    this.socket.destroy();
  }

  private writeOut(): void {
    if (this.outgoing.length === 0) return;
    this.socket.write(this.outgoing.length === 1 ? (this.outgoing[0] as Buffer) : Buffer.concat(this.outgoing));
    this.outgoing = [];
    this.outgoingBytes = 0;
  }

  private waitReply(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private onData(chunk: Buffer): void {
    const text = this.partial + chunk.toString("latin1");
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      const line = text.slice(start, nl);
      start = nl + 1;
      const command = this.pending[this.head++];
      if (command === undefined) return this.fail(new EngineError(`Redis sent an unexpected reply: ${line.slice(0, 100)}`));
      this.inFlight -= command.bytes;
      if (line.startsWith("-")) return this.fail(new EngineError(`Redis refused ${typeof command.label === "string" ? command.label : command.label()}: ${line.slice(1, 300).trim()}`));
    }
    this.partial = text.slice(start);
    if (this.head > 4096 && this.head === this.pending.length) {
      this.pending.length = 0;
      this.head = 0;
    }
    this.wakeUp();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wakeUp();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

// --- internal ---

/** Commands are gathered into writes of about this size. */
const WRITE_BYTES = 256 * 1024;
