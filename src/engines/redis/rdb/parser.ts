/**
 * A streaming RDB parser. It delimits records without decoding values and yields, per key, the database,
 * the key's bytes, its absolute expiry and the raw value encoding (type byte + value) that `RESTORE` takes
 * once {@link dumpPayload} appends the RDB version and the CRC-64. Memory is bounded by the largest record
 * (one key with its value), never by the file. The file's trailing CRC-64 is checked; the last yielded
 * record, `{ kind: "end" }`, only comes when the whole file is well-formed and its checksum matches.
 */
import { EngineError, IntegrityError, throwIfAborted } from "../../../core/errors.ts";
import { Crc64, StreamCrc64 } from "./crc64.ts";
import { Cursor, NeedMore, corrupt } from "./cursor.ts";
import { RDB_TYPE, skipValue, typeName } from "./values.ts";

/** The newest RDB format this parser reads (Redis 7.4 writes 12; its new hash types are refused by name). */
export const MAX_RDB_VERSION = 12;

export type RdbRecord =
  | { kind: "header"; version: number }
  | { kind: "aux"; name: string; value: string }
  | { kind: "key"; db: number; key: Buffer; type: string; expireAtMs?: number; payload: Buffer }
  /** A function library (`FUNCTION2`), `payload` is the opcode + library code as `FUNCTION RESTORE` wants it. */
  | { kind: "function"; payload: Buffer }
  /** The file ended well-formed; `checksum` is false when the writer disabled checksums (`rdbchecksum no`). */
  | { kind: "end"; checksum: boolean; bytes: number };

/**
 * A key as {@link parseRdbRaw} yields it: offsets into `buf` instead of copies (the hot path of a live
 * restore). The key is `buf[keyStart, keyEnd)`, or `decodedKey` when the RDB stored it int- or LZF-encoded;
 * the value encoding (without the type byte) is `buf[valueStart, valueEnd)`. `buf` is never modified.
 */
export interface RawKeyRecord {
  kind: "rawKey";
  db: number;
  type: number;
  expireAtMs: number | undefined;
  buf: Buffer;
  keyStart: number;
  keyEnd: number;
  decodedKey: Buffer | undefined;
  valueStart: number;
  valueEnd: number;
}

/** Parses an RDB byte stream. @throws IntegrityError when malformed or the checksum mismatches. */
export async function* parseRdb(source: AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>, signal?: AbortSignal): AsyncGenerator<RdbRecord> {
  for await (const batch of parseRdbBatches(source, signal)) yield* batch;
}

/** {@link parseRdb}, yielding the records of each received chunk together (far fewer awaits for small keys). */
export function parseRdbBatches(source: Source, signal?: AbortSignal): AsyncGenerator<RdbRecord[]> {
  return batches(source, signal, false) as AsyncGenerator<RdbRecord[]>;
}

/**
 * {@link parseRdbBatches} with keys as {@link RawKeyRecord}s: no copy of any key or value. The records of a
 * batch point into a buffer the parser reuses, and the key records themselves are reused: they are valid until
 * the next batch is asked for. With `checksum: false` the file's CRC-64 is not computed (for a second pass over
 * bytes already verified); the end record then says `checksum: false`.
 */
export function parseRdbRaw(source: Source, signal?: AbortSignal, options: { checksum?: boolean } = {}): AsyncGenerator<Array<Exclude<RdbRecord, { kind: "key" }> | RawKeyRecord>> {
  return batches(source, signal, true, options.checksum ?? true) as AsyncGenerator<Array<Exclude<RdbRecord, { kind: "key" }> | RawKeyRecord>>;
}

type Source = AsyncIterable<Buffer | Uint8Array> | Iterable<Buffer | Uint8Array>;

async function* batches(source: Source, signal: AbortSignal | undefined, rawKeys: boolean, checksum = true): AsyncGenerator<Array<RdbRecord | RawKeyRecord>> {
  const state: State = { version: 0, db: 0, expireAtMs: undefined, ended: false, raw: rawKeys, pool: [], used: 0 };
  const crc = checksum ? await StreamCrc64.create() : undefined;
  let buf: Buffer = Buffer.alloc(0);
  /** The buffer reused to join a record's start with the chunks that complete it. */
  let work: Buffer = Buffer.alloc(0);
  let pos = 0;
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let waitFor = 0;
  let total = 0;
  const c = new Cursor(buf, 0);
  function join(): void {
    const rest = buf.length - pos;
    if (rest === 0 && pending.length === 1) {
      buf = pending[0] as Buffer;
    } else if (!rawKeys) {
      buf = Buffer.concat([buf.subarray(pos), ...pending]);
    } else {
      const need = rest + pendingLength;
      if (work.length < need) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(need, 2 * work.length, 1 << 20));
        buf.copy(bigger, 0, pos);
        work = bigger;
      } else if (rest > 0) {
        if (buf.buffer === work.buffer) work.copyWithin(0, pos, buf.length);
        else buf.copy(work, 0, pos);
      }
      let at = rest;
      for (const chunk of pending) at += chunk.copy(work, at);
      buf = work.subarray(0, need);
    }
    pos = 0;
    pending = [];
    pendingLength = 0;
    waitFor = 0;
  }
  function drain(): Array<RdbRecord | RawKeyRecord> {
    const records: Array<RdbRecord | RawKeyRecord> = [];
    state.used = 0;
    join();
    c.buf = buf;
    // The CRC-64 covers every byte up to the end opcode: it is taken over whole runs of parsed records, once
    // a drain and just before the end record (which checks it), rather than once a record.
    let crcFrom = pos;
    while (pos < buf.length && !state.ended) {
      c.pos = pos;
      if (crc && state.version > 0 && buf[pos] === OP.eof) {
        crc.update(buf, crcFrom, pos);
        crcFrom = pos;
      }
      let record: RdbRecord | RawKeyRecord | undefined;
      try {
        record = parseOne(c, state, crc);
      } catch (err) {
        if (!(err instanceof NeedMore)) throw err;
        waitFor = Math.max(64, (buf.length - pos) * 2);
        break;
      }
      pos = c.pos;
      if (record !== undefined) records.push(record);
    }
    if (crc && !state.ended) crc.update(buf, crcFrom, pos);
    if (state.ended && pos < buf.length) throw corrupt("bytes after the end of the file");
    return records;
  }
  for await (const raw of source) {
    throwIfAborted(signal);
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    total += chunk.length;
    if (state.ended) throw corrupt("bytes after the end of the file");
    pending.push(chunk);
    pendingLength += chunk.length;
    if (buf.length - pos + pendingLength >= waitFor) yield drain();
  }
  if (pendingLength > 0) yield drain();
  if (!state.ended) {
    throw new IntegrityError(`The RDB ends early (after ${total} bytes) without its end marker.`, {
      hint: "The backup is truncated: restore an older one.",
    });
  }
  yield [{ kind: "end", checksum: state.checksum === true, bytes: total }];
}

/** Builds the `RESTORE` payload of a key: its type byte + value, the RDB version (2 bytes LE), the CRC-64. */
export function dumpPayload(typeAndValue: Buffer, rdbVersion: number): Buffer {
  const out = Buffer.alloc(typeAndValue.length + 10);
  typeAndValue.copy(out, 0);
  out.writeUInt16LE(rdbVersion, typeAndValue.length);
  new Crc64().update(out, 0, typeAndValue.length + 2).writeTo(out, typeAndValue.length + 2);
  return out;
}

// --- internal ---

interface State {
  version: number;
  db: number;
  expireAtMs: number | undefined;
  ended: boolean;
  checksum?: boolean;
  /** Yield keys as offsets ({@link RawKeyRecord}). */
  raw: boolean;
  /**
   * The raw key records, reused from one batch to the next (no object per key: a live restore of 30,000 keys
   * made 30,000); `used` of them are in the current batch.
   */
  pool: RawKeyRecord[];
  used: number;
}

const OP = { slotInfo: 0xf4, function2: 0xf5, functionPreGa: 0xf6, moduleAux: 0xf7, idle: 0xf8, freq: 0xf9, aux: 0xfa, resizeDb: 0xfb, expireMs: 0xfc, expireSec: 0xfd, selectDb: 0xfe, eof: 0xff } as const;

/** Parses one record at the cursor; mutates `state` only once the record is complete. */
function parseOne(c: Cursor, state: State, crc: StreamCrc64 | undefined): RdbRecord | RawKeyRecord | undefined {
  if (state.version === 0) {
    const magic = c.bytes(9).toString("latin1");
    if (!/^REDIS\d{4}$/.test(magic)) throw corrupt("file header (not an RDB file)");
    const version = Number(magic.slice(5));
    if (version < 1 || version > MAX_RDB_VERSION) {
      throw new IntegrityError(`The RDB has format version ${version}; this stackvault reads versions 1 to ${MAX_RDB_VERSION}.`, {
        hint: "Upgrade stackvault, or back up with a Redis of the same generation.",
      });
    }
    state.version = version;
    return { kind: "header", version };
  }
  const start = c.pos;
  const op = c.u8();
  switch (op) {
    case OP.aux: {
      const name = c.string().toString("latin1");
      const value = c.string().toString("latin1");
      return { kind: "aux", name, value };
    }
    case OP.selectDb:
      state.db = c.len();
      return undefined;
    case OP.resizeDb:
      c.len();
      c.len();
      return undefined;
    case OP.slotInfo:
      c.len();
      c.len();
      c.len();
      return undefined;
    case OP.expireMs:
      state.expireAtMs = int64LE(c.buf, c.take(8));
      return undefined;
    case OP.expireSec:
      state.expireAtMs = c.buf.readInt32LE(c.take(4)) * 1000;
      return undefined;
    case OP.idle:
      c.len();
      return undefined;
    case OP.freq:
      c.take(1);
      return undefined;
    case OP.moduleAux:
      c.len(); // module id
      skipModuleValues(c, true);
      return undefined;
    case OP.function2:
      c.skipString();
      return { kind: "function", payload: Buffer.from(c.buf.subarray(start, c.pos)) };
    case OP.functionPreGa:
      throw corrupt("function opcode of a Redis 7.0 release candidate");
    case OP.eof: {
      let checksum = false;
      if (state.version >= 5) {
        const stored = c.bytes(8);
        const zero = stored.every((b) => b === 0);
        if (crc) {
          crc.update(c.buf, start, start + 1);
          if (!zero && !crc.finish().equals(stored)) {
            throw new IntegrityError("The RDB's CRC-64 checksum does not match its content.", {
              hint: "The backup is damaged: restore an older one. Nothing was changed in Redis.",
            });
          }
          checksum = !zero;
        }
      }
      state.ended = true;
      state.checksum = checksum;
      return undefined;
    }
    default:
      return parseKey(c, state, op);
  }
}

function parseKey(c: Cursor, state: State, type: number): RdbRecord | RawKeyRecord {
  if (state.raw) return parseRawKey(c, state, type);
  const key = c.string();
  if (type === RDB_TYPE.module || type === RDB_TYPE.module2) {
    throw new EngineError(`The key '${printable(key)}' in database ${state.db} holds a Redis module type, which stackvault cannot restore live.`, {
      hint: "Use the file restore mode, or remove or exclude that database (--redis-dbs).",
    });
  }
  const valueStart = c.pos;
  skipValue(c, type);
  const payload = Buffer.allocUnsafe(1 + c.pos - valueStart);
  payload[0] = type;
  c.buf.copy(payload, 1, valueStart, c.pos);
  const expireAtMs = state.expireAtMs;
  state.expireAtMs = undefined;
  const record: RdbRecord = { kind: "key", db: state.db, key, type: typeName(type) ?? String(type), payload };
  if (expireAtMs !== undefined) record.expireAtMs = expireAtMs;
  return record;
}

function parseRawKey(c: Cursor, state: State, type: number): RawKeyRecord {
  const at = c.pos;
  const value = c.length();
  const encoded = c.encoded;
  let keyStart = 0;
  let keyEnd = 0;
  let decodedKey: Buffer | undefined;
  if (encoded) {
    c.pos = at;
    decodedKey = c.string();
  } else {
    keyStart = c.take(value);
    keyEnd = keyStart + value;
  }
  if (type === RDB_TYPE.module || type === RDB_TYPE.module2) {
    throw new EngineError(`The key '${printable(decodedKey ?? c.buf.subarray(keyStart, keyEnd))}' in database ${state.db} holds a Redis module type, which stackvault cannot restore live.`, {
      hint: "Use the file restore mode, or remove or exclude that database (--redis-dbs).",
    });
  }
  const valueStart = c.pos;
  skipValue(c, type);
  const expireAtMs = state.expireAtMs;
  state.expireAtMs = undefined;
  let record = state.pool[state.used];
  if (record === undefined) {
    record = { kind: "rawKey", db: 0, type: 0, expireAtMs: undefined, buf: c.buf, keyStart: 0, keyEnd: 0, decodedKey: undefined, valueStart: 0, valueEnd: 0 };
    state.pool.push(record);
  }
  state.used++;
  record.db = state.db;
  record.type = type;
  record.expireAtMs = expireAtMs;
  record.buf = c.buf;
  record.keyStart = keyStart;
  record.keyEnd = keyEnd;
  record.decodedKey = decodedKey;
  record.valueStart = valueStart;
  record.valueEnd = c.pos;
  return record;
}

/** A signed 64-bit little-endian integer as a number (exact up to 2^53; an expiry in milliseconds is far below). */
function int64LE(buf: Buffer, at: number): number {
  return buf.readInt32LE(at + 4) * 0x100000000 + buf.readUInt32LE(at);
}

/** Module-serialised values: (opcode, value) pairs until the EOF opcode 0. */
function skipModuleValues(c: Cursor, aux: boolean): void {
  if (aux) {
    if (c.len() !== 2) throw corrupt("module aux header");
    c.len(); // when
  }
  for (;;) {
    const opcode = c.len();
    if (opcode === 0) return;
    if (opcode === 1 || opcode === 2) c.len();
    else if (opcode === 3) c.take(4);
    else if (opcode === 4) c.take(8);
    else if (opcode === 5) c.skipString();
    else throw corrupt(`module opcode ${opcode}`);
  }
}

/** A key for an error message: printable ASCII as is, anything else escaped. */
function printable(key: Buffer): string {
  const text = key.subarray(0, 200).toString("latin1").replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return key.length > 200 ? `${text}…` : text;
}
