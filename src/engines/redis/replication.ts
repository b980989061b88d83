/**
 * Fetches a point-in-time RDB from a running Redis over the replication protocol, the way a replica's first
 * sync does: `AUTH`, `REPLCONF capa eof`, `REPLCONF rdb-only 1` (Redis ≥ 7; ignored where unknown),
 * `PSYNC ? -1` (or `SYNC` where refused). Nothing is saved on the server's disk when it does diskless sync;
 * otherwise it writes its usual `BGSAVE` file. The payload comes either as `$<length>` + bytes, or with
 * diskless sync as `$EOF:<40-byte mark>` + bytes + the mark. Keep-alive newlines before the payload are
 * skipped. The payload is streamed in pieces of 256 KiB; the socket pauses while the reader is behind.
 */
import type net from "node:net";
import { Readable } from "node:stream";
import { EngineError } from "../../core/errors.ts";
import type { RedisConnectionOptions } from "./connection.ts";
import { type PayloadEnd, PayloadPieces } from "./payload-pieces.ts";
import { connectSocket } from "./socket.ts";

export interface RdbFetch {
  /** The RDB bytes, exactly as a replica would receive them, in pieces (an object-mode stream of Buffers). Errors if the connection breaks early. */
  stream: Readable;
  /** `PSYNC` (point-in-time with replication id) or `SYNC` (older servers). */
  protocol: "psync" | "sync";
  /** `eof-marker` for diskless sync, `length` for a file-based transfer. */
  framing: "eof-marker" | "length";
  /** The declared payload length (length framing only). */
  length?: number;
  /** Keep-alive newlines Redis sent while it prepared the snapshot (skipped). */
  keepAlives: number;
}

/** Opens a replication connection and resolves once the payload begins. @throws EngineError when refused. */
export async function fetchRdb(options: RedisConnectionOptions, signal: AbortSignal): Promise<RdbFetch> {
  const socket = await connectSocket(options, signal);
  const reader = new SocketReader(socket);
  try {
    if (options.password !== undefined) {
      const args = options.username !== undefined ? ["AUTH", options.username, options.password] : ["AUTH", options.password];
      expectOk(await reader.command(args), "AUTH");
    }
    expectOk(await reader.command(["REPLCONF", "capa", "eof", "capa", "psync2"]), "REPLCONF capa");
    await reader.command(["REPLCONF", "rdb-only", "1"]); // unknown before Redis 7.0: the error is fine
    let protocol: RdbFetch["protocol"] = "psync";
    const reply = await reader.command(["PSYNC", "?", "-1"]);
    if (reply.startsWith("-")) {
      // Servers before 2.8, or users allowed SYNC but not PSYNC: the older command gives the same RDB.
      if (/NOAUTH|WRONGPASS/.test(reply)) throw refused(reply);
      protocol = "sync";
      reader.send(["SYNC"]);
    } else if (!reply.startsWith("+FULLRESYNC")) throw refused(reply);
    const header = await reader.line();
    if (header.startsWith("-")) throw refused(header);
    if (!header.startsWith("$")) throw new EngineError(`Redis answered the sync with '${header.slice(0, 80)}' instead of an RDB.`);
    if (header.startsWith("$EOF:")) {
      const mark = Buffer.from(header.slice(5), "latin1");
      if (mark.length !== 40) throw new EngineError("Redis sent a malformed end-of-file mark for the RDB transfer.");
      return { stream: reader.payload({ mark }), protocol, framing: "eof-marker", keepAlives: reader.keepAlives };
    }
    const length = Number(header.slice(1));
    if (!Number.isSafeInteger(length) || length < 0) throw new EngineError(`Redis announced an RDB of '${header.slice(1, 40)}' bytes.`);
    return { stream: reader.payload({ length }), protocol, framing: "length", length, keepAlives: reader.keepAlives };
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

// --- internal ---

function refused(reply: string): EngineError {
  return new EngineError(`Redis refused to send an RDB: ${reply.slice(1, 200)}`, {
    hint: "The user needs the replication permission (ACL: +psync +sync +replconf, or a user with +@all), and the password must be right.",
  });
}

function expectOk(reply: string, what: string): void {
  if (!reply.startsWith("+")) {
    if (/NOAUTH|WRONGPASS|invalid password|NOPERM/i.test(reply)) {
      throw new EngineError(`Redis refused ${what}: ${reply.slice(1, 200)}`, { hint: "Check the Redis user and password (--redis-url, REDIS_PASSWORD)." });
    }
    throw new EngineError(`Redis refused ${what}: ${reply.slice(1, 200)}`);
  }
}

/**
 * Reads a replication connection: lines for the handshake, then the payload as a stream of large pieces
 * ({@link PayloadPieces}). It listens to `data` events rather than iterating the socket, so that a chunk costs
 * one copy and no promise; the socket is paused while the stream's reader is behind.
 */
class SocketReader {
  private readonly socket: net.Socket;
  private rest: Buffer = Buffer.alloc(0);
  /** Where chunks go once the payload began. */
  private sink: ((chunk: Buffer) => void) | undefined;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  keepAlives = 0;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      if (this.sink !== undefined) return this.sink(chunk);
      this.rest = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
      this.wakeUp();
    });
    socket.on("error", (err: Error) => {
      this.failure ??= err;
      this.wakeUp();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wakeUp();
    });
  }

  send(args: string[]): void {
    this.socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`);
  }

  async command(args: string[]): Promise<string> {
    this.send(args);
    return this.line();
  }

  /** The next non-empty line (keep-alive newlines skipped), without its line ending. */
  async line(): Promise<string> {
    for (;;) {
      const nl = this.rest.indexOf(10);
      if (nl >= 0) {
        const text = this.rest.subarray(0, nl).toString("latin1").replace(/\r$/, "");
        this.rest = this.rest.subarray(nl + 1);
        if (text.length > 0) return text;
        this.keepAlives++;
        continue;
      }
      if (this.rest.length > 65536) throw new EngineError("Redis sent an over-long line during the replication handshake.");
      await this.more();
    }
  }

  /**
   * The rest of the connection up to `end`, as a stream of the payload's pieces; the socket is closed when it ends
   * or fails. In object mode, so that a reader gets each piece as it is: a byte stream's iterator joins whatever
   * it holds into a new buffer at each read (a copy of up to its high-water mark each time).
   */
  payload(end: PayloadEnd): Readable {
    const socket = this.socket;
    const out = new Readable({
      objectMode: true,
      highWaterMark: 4,
      read: () => void socket.resume(),
      destroy: (err, callback) => {
        socket.destroy();
        callback(err);
      },
    });
    const pieces = new PayloadPieces(end, (piece) => {
      if (!out.push(piece)) socket.pause();
    });
    const stop = (): void => {
      if (pieces.done) return;
      out.destroy(this.failure ?? closedEarly());
    };
    socket.on("error", stop);
    socket.on("close", stop);
    this.sink = (chunk) => {
      if (!pieces.add(chunk)) return;
      this.sink = () => {}; // Redis may go on with the replication stream: not ours
      out.push(null);
      socket.destroy();
    };
    const first = this.rest;
    this.rest = Buffer.alloc(0);
    if (pieces.done) this.sink(Buffer.alloc(0));
    else if (first.length > 0) this.sink(first);
    if (this.failure !== undefined || this.closed) stop();
    return out;
  }

  private async more(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.closed) throw closedEarly();
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function closedEarly(): EngineError {
  return new EngineError("Redis closed the replication connection before the RDB was complete.", { hint: "Check the Redis log (client-output-buffer-limit replica, timeouts)." });
}
