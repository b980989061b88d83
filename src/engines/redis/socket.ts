/**
 * Raw sockets to Redis (plain or TLS), for the two paths where a general client costs too much: the
 * replication stream and the pipelined `RESTORE` load. {@link RespPipe} writes commands without waiting and
 * matches the one-line replies (`+OK` / `-ERR …`) to them, with bounded bytes in flight.
 */
import net from "node:net";
import tls from "node:tls";
import { EngineError } from "../../core/errors.ts";
import { type RedisConnectionOptions, connectionHint, tlsOptions } from "./connection.ts";
import { CrcArena } from "./rdb/crc-arena.ts";
import type { RawKeyRecord } from "./rdb/parser.ts";

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

/**
 * Pipelines commands whose replies are single lines (`+OK` / `-ERR …`), encoding them straight into large
 * write buffers (no buffer per command) and keeping, per buffer, only the offsets of its commands. A reply
 * releases its command's bytes; an error reply names the command by re-reading it from the buffer (a
 * `RESTORE` by its key and database, never an `AUTH` argument). The first error fails {@link RespPipe.drain}.
 */
export class RespPipe {
  private readonly socket: net.Socket;
  private readonly maxInFlight: number;
  /**
   * The write buffers, reused: as many as the bytes in flight can fill and two more, so that a long load
   * allocates no buffer after its first {@link RespPipe.maxInFlight} bytes. The DUMP checksums are computed in
   * them in place ({@link CrcArena}). A command larger than a buffer gets one of its own.
   */
  private readonly arena: CrcArena;
  private chunk: Buffer;
  private at = 0;
  /**
   * The buffer is written out once it holds this many bytes: 16 KiB for the first write, doubling up to
   * {@link WRITE_BYTES}, so that Redis starts on the first commands while the next are encoded.
   */
  private flushAt = FIRST_WRITE_BYTES;
  private starts: number[] = [];
  private readonly sent: Array<SentChunk | undefined> = [];
  private sentHead = 0;
  /** Bytes written to the socket and not yet answered. */
  private inFlight = 0;
  private encoded = 0;
  private answered = 0;
  private readonly selects: Array<{ seq: number; db: number }> = [];
  private lineStart = true;
  private errorLine: Buffer[] | undefined;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(socket: net.Socket, maxInFlightBytes: number) {
    this.socket = socket;
    this.maxInFlight = maxInFlightBytes;
    this.arena = new CrcArena(Math.ceil(maxInFlightBytes / WRITE_BYTES) + 3, CHUNK_BYTES);
    this.chunk = this.newChunk();
    socket.on("data", (data: Buffer) => this.onData(data));
    socket.on("error", (err) => this.fail(new EngineError(`The connection to Redis failed during the load: ${err.message}`, { cause: err })));
    socket.on("close", () => this.fail(new EngineError("Redis closed the connection during the load.")));
  }

  /** Queues one command; true when the caller must `await room()` before the next. */
  command(args: ReadonlyArray<Buffer | string | number>): boolean {
    if (this.failure) throw this.failure;
    const bytes = args.map((arg) => (Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg))));
    this.ensure(bytes.reduce((n, b) => n + b.length + 24, 16));
    const begin = this.at;
    this.at = writeHeader(this.chunk, this.at, 0x2a, bytes.length);
    for (const b of bytes) {
      this.at = writeHeader(this.chunk, this.at, 0x24, b.length);
      this.at += b.copy(this.chunk, this.at);
      this.crlf();
    }
    return this.queued(begin);
  }

  /** Queues `SELECT db`, remembered to name the database of a refused key. */
  select(db: number): boolean {
    this.selects.push({ seq: this.encoded, db });
    return this.command(["SELECT", db]);
  }

  /**
   * Queues `RESTORE key ttl payload REPLACE ABSTTL` for a key of the RDB, building the DUMP payload (type byte,
   * value, RDB version, CRC-64) in place. True when the caller must `await room()` before the next.
   */
  restore(record: RawKeyRecord, rdbVersion: number): boolean {
    if (this.failure) throw this.failure;
    const key = record.decodedKey;
    const keyLength = key === undefined ? record.keyEnd - record.keyStart : key.length;
    const valueLength = record.valueEnd - record.valueStart;
    const payloadLength = valueLength + 11;
    this.ensure(keyLength + payloadLength + 96);
    const out = this.chunk;
    const begin = this.at;
    // Written with as few calls as can be (see Cursor.skipString): this runs once per key, cold at first.
    out.set(RESTORE_HEAD, begin);
    let at = writeHeader(out, begin + RESTORE_HEAD.length, 0x24, keyLength);
    if (key !== undefined) at += key.copy(out, at);
    else if (keyLength > 32) at += record.buf.copy(out, at, record.keyStart, record.keyEnd);
    else {
      // A short key byte by byte: Buffer#copy costs about 100 ns a call in its checks and its C++ call.
      const source = record.buf;
      for (let i = record.keyStart; i < record.keyEnd; i++) out[at++] = source[i] as number;
    }
    out[at++] = 13;
    out[at++] = 10;
    const ttl = record.expireAtMs ?? 0;
    if (ttl === 0) {
      out.set(NO_TTL, at);
      at += NO_TTL.length;
    } else {
      const length = decimalLength(ttl);
      at = writeHeader(out, at, 0x24, length);
      at = writeDecimal(out, at, ttl, length);
      out[at++] = 13;
      out[at++] = 10;
    }
    at = writeHeader(out, at, 0x24, payloadLength);
    const payloadAt = at;
    out[at++] = record.type;
    at += record.buf.copy(out, at, record.valueStart, record.valueEnd);
    out[at++] = rdbVersion & 0xff;
    out[at++] = rdbVersion >>> 8;
    this.arena.appendCrc(out, payloadAt, at);
    at += 8;
    out[at++] = 13;
    out[at++] = 10;
    out.set(RESTORE_TAIL, at);
    this.at = at + RESTORE_TAIL.length;
    return this.queued(begin);
  }

  /** Waits until the bytes awaiting replies are under the bound. */
  async room(): Promise<void> {
    while (this.inFlight + this.at > this.maxInFlight && this.failure === undefined) {
      this.flush();
      await this.waitReply();
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every reply. @throws EngineError naming the first refused command. */
  async drain(): Promise<void> {
    this.flush();
    while (this.answered < this.encoded && this.failure === undefined) await this.waitReply();
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.failure ??= new EngineError("closed");
    this.socket.destroy();
  }

  private queued(begin: number): boolean {
    this.starts.push(begin);
    this.encoded++;
    if (this.at >= this.flushAt) this.flush();
    return this.inFlight > this.maxInFlight;
  }

  /** Makes room for `bytes` more in the current buffer, writing it out first when it is too full. */
  private ensure(bytes: number): void {
    if (this.at + bytes <= this.chunk.length) return;
    this.flush();
    if (bytes > this.chunk.length) {
      this.arena.give(this.chunk);
      this.chunk = Buffer.allocUnsafeSlow(bytes);
    }
  }

  private flush(): void {
    if (this.at === 0) return;
    this.socket.write(this.chunk.subarray(0, this.at));
    this.sent.push({ chunk: this.chunk, starts: this.starts, end: this.at, next: 0 });
    this.inFlight += this.at;
    this.flushAt = Math.min(2 * this.flushAt, WRITE_BYTES);
    this.chunk = this.newChunk();
    this.at = 0;
    this.starts = [];
  }

  /** A free buffer of the arena, or a fresh one when every one is in flight. */
  private newChunk(): Buffer {
    return this.arena.take() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
  }

  private crlf(): void {
    this.chunk[this.at++] = 13;
    this.chunk[this.at++] = 10;
  }

  private waitReply(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private onData(data: Buffer): void {
    let i = 0;
    while (i < data.length) {
      if (this.lineStart) {
        // Nearly every reply is a whole `+OK\r\n`: matched here without a search for the line's end.
        if (data[i] === 0x2b && data[i + 1] === 0x4f && data[i + 2] === 0x4b && data[i + 3] === 13 && data[i + 4] === 10) {
          i += 5;
          if (!this.answer()) return;
          continue;
        }
        this.lineStart = false;
        if (data[i] === 0x2d) this.errorLine = [];
      }
      const nl = data.indexOf(10, i);
      if (nl < 0) {
        this.errorLine?.push(Buffer.from(data.subarray(i)));
        break;
      }
      this.errorLine?.push(data.subarray(i, nl));
      this.lineStart = true;
      i = nl + 1;
      if (!this.answer()) return;
    }
    this.wakeUp();
  }

  /** Matches one reply to the oldest unanswered command; false once failed. */
  private answer(): boolean {
    const s = this.sent[this.sentHead];
    if (s === undefined) return this.fail(new EngineError("Redis sent a reply to no command."));
    const begin = s.starts[s.next] as number;
    const end = s.starts[s.next + 1] ?? s.end;
    if (this.errorLine !== undefined) {
      const text = Buffer.concat(this.errorLine).toString("latin1").slice(1, 300).trim();
      return this.fail(new EngineError(`Redis refused ${this.describe(s.chunk, begin, this.answered)}: ${text}`));
    }
    this.inFlight -= end - begin;
    this.answered++;
    if (++s.next === s.starts.length) {
      // Every byte of the buffer reached Redis: it can take new commands.
      this.arena.give(s.chunk);
      this.sent[this.sentHead++] = undefined;
      if (this.sentHead > 256) {
        this.sent.splice(0, this.sentHead);
        this.sentHead = 0;
      }
    }
    return true;
  }

  /** Names the command at `begin` for an error message (arguments of AUTH never shown). */
  private describe(chunk: Buffer, begin: number, seq: number): string {
    const args: Buffer[] = [];
    let at = chunk.indexOf(10, begin) + 1;
    for (let n = 0; n < 2 && chunk[at] === 0x24; n++) {
      const nl = chunk.indexOf(10, at);
      const length = Number(chunk.toString("latin1", at + 1, nl - 1));
      args.push(chunk.subarray(nl + 1, nl + 1 + length));
      at = nl + 1 + length + 2;
    }
    const name = (args[0]?.toString("latin1") ?? "a command").toUpperCase();
    if (name === "RESTORE" && args[1] !== undefined) {
      const db = this.selects.findLast((select) => select.seq < seq)?.db ?? 0;
      return `to RESTORE the key '${printable(args[1])}' in database ${db}`;
    }
    if (name === "SELECT" && args[1] !== undefined) return `SELECT ${args[1].toString("latin1")}`;
    return name;
  }

  private fail(err: Error): false {
    this.failure ??= err;
    this.wakeUp();
    return false;
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** A key for an error message: printable ASCII as is, anything else escaped. */
export function printable(key: Buffer): string {
  const text = key.subarray(0, 120).toString("latin1").replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return key.length > 120 ? `${text}…` : text;
}

// --- internal ---

interface SentChunk {
  chunk: Buffer;
  /** Offsets of its commands. */
  starts: number[];
  end: number;
  /** The first command not answered yet. */
  next: number;
}

/** Commands are gathered into writes of about this size. */
const WRITE_BYTES = 256 * 1024;
const FIRST_WRITE_BYTES = 16 * 1024;
const CHUNK_BYTES = WRITE_BYTES + 64 * 1024;
const RESTORE_HEAD = Buffer.from("*6\r\n$7\r\nRESTORE\r\n", "latin1");
const RESTORE_TAIL = Buffer.from("$7\r\nREPLACE\r\n$6\r\nABSTTL\r\n", "latin1");
/** The ttl argument of a key without expiry. */
const NO_TTL = Buffer.from("$1\r\n0\r\n", "latin1");

/** Characters of the decimal form of the integer `n`, its sign included. */
function decimalLength(n: number): number {
  let count = n < 0 ? 2 : 1;
  for (let v = Math.abs(n); v >= 10; v = Math.floor(v / 10)) count++;
  return count;
}

/**
 * Writes the integer `n` in decimal at `out[at]`; returns the offset after it. `length`, when the caller knows it,
 * is {@link decimalLength} of `n`.
 */
function writeDecimal(out: Buffer, at: number, n: number, length?: number): number {
  // Lengths under 10,000 (nearly all) digit by digit in small-integer arithmetic.
  if (n >= 0 && n < 10_000) {
    if (n >= 1000) out[at++] = 0x30 + ((n / 1000) | 0);
    if (n >= 100) out[at++] = 0x30 + (((n / 100) | 0) % 10);
    if (n >= 10) out[at++] = 0x30 + (((n / 10) | 0) % 10);
    out[at++] = 0x30 + (n % 10);
    return at;
  }
  const end = at + (length ?? decimalLength(n));
  if (n < 0) {
    out[at] = 0x2d;
    n = -n;
  }
  let i = end - 1;
  for (; n >= 10; i--) {
    out[i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  out[i] = 0x30 + n;
  return end;
}

/** Writes `<prefix><n>\r\n` at `out[at]` (`*`: an array's header, `$`: a bulk string's); returns the offset after it. */
function writeHeader(out: Buffer, at: number, prefix: number, n: number): number {
  out[at++] = prefix;
  at = writeDecimal(out, at, n);
  out[at++] = 13;
  out[at++] = 10;
  return at;
}
