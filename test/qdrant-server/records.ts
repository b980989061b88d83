/**
 * The binary record format of the Qdrant test server, used both by a collection's append-only `points.log`
 * and by the `0/points.bin` file inside snapshots:
 *
 *   u32 LE header length | u32 LE data length | header JSON | data
 *
 * The header is `{"op":"u","id":…,"payload":…,"v":[[name, dim], …]}` (upsert; data = the Float32 LE vectors
 * in `v` order) or `{"op":"d","id":…}` (delete; no data). Vectors stay binary, so 12,450 points of 1,536
 * dimensions take about 77 MB instead of the 250 MB their JSON would. Collections keep these encoded
 * records in memory too (one small Buffer per point, off the JS heap, so garbage collection stays cheap with
 * hundreds of thousands of points) and decode a point only when a request reads it.
 */
import { endianness } from "node:os";
import type { PointId, StoredPoint } from "./points.ts";

/** A decoded record. */
export type LogRecord = { op: "u"; point: StoredPoint } | { op: "d"; id: PointId };

/** A whole encoded record (length prefixes included) with its operation and point id read from the header. */
export interface RawRecord {
  op: "u" | "d";
  id: PointId;
  bytes: Buffer;
}

/** Encodes an upsert of `point`. */
export function encodeUpsert(point: StoredPoint): Buffer {
  const names = [...point.vectors.keys()].sort();
  const header = Buffer.from(
    JSON.stringify({ op: "u", id: point.id, payload: point.payload, v: names.map((n) => [n, point.vectors.get(n)?.length ?? 0]) }),
  );
  const dataLength = names.reduce((sum, n) => sum + (point.vectors.get(n)?.length ?? 0) * 4, 0);
  const out = Buffer.allocUnsafe(8 + header.length + dataLength);
  out.writeUInt32LE(header.length, 0);
  out.writeUInt32LE(dataLength, 4);
  header.copy(out, 8);
  let at = 8 + header.length;
  for (const n of names) {
    const v = point.vectors.get(n) ?? new Float32Array(0);
    Buffer.from(v.buffer, v.byteOffset, v.byteLength).copy(out, at);
    at += v.byteLength;
  }
  return out;
}

/** Encodes a delete of `id`. */
export function encodeDelete(id: PointId): Buffer {
  const header = Buffer.from(JSON.stringify({ op: "d", id }));
  const out = Buffer.allocUnsafe(8 + header.length);
  out.writeUInt32LE(header.length, 0);
  out.writeUInt32LE(0, 4);
  header.copy(out, 8);
  return out;
}

/**
 * Splits a byte stream into whole records (each copied into its own Buffer), holding at most one record plus
 * one chunk in memory. After the iteration, `state.trailing` tells how many bytes at the end did not form a
 * whole record (a torn write).
 */
export async function* splitRecords(source: AsyncIterable<Buffer | Uint8Array>, state: { trailing: number } = { trailing: 0 }): AsyncGenerator<RawRecord> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 8) {
      const headerLength = pending.readUInt32LE(at);
      const dataLength = pending.readUInt32LE(at + 4);
      const end = at + 8 + headerLength + dataLength;
      if (pending.length < end) break;
      const bytes = Buffer.from(pending.subarray(at, end));
      yield { ...headerIdentity(bytes), bytes };
      at = end;
    }
    pending = pending.subarray(at);
  }
  state.trailing = pending.length;
}

/** Decodes records from a byte stream (see {@link splitRecords}). */
export async function* decodeRecords(source: AsyncIterable<Buffer | Uint8Array>, state: { trailing: number } = { trailing: 0 }): AsyncGenerator<LogRecord> {
  for await (const record of splitRecords(source, state)) yield decodeRecord(record.bytes);
}

/** Decodes one whole record. */
export function decodeRecord(bytes: Buffer): LogRecord {
  const headerLength = bytes.readUInt32LE(0);
  const dataLength = bytes.readUInt32LE(4);
  if (bytes.length !== 8 + headerLength + dataLength) throw new Error(`record of ${bytes.length} bytes announces ${8 + headerLength + dataLength}`);
  return decodeOne(bytes.subarray(8, 8 + headerLength), bytes.subarray(8 + headerLength));
}

/** The point of an upsert record without its vectors (only the header is parsed): enough for filters. */
export function decodeHeader(bytes: Buffer): StoredPoint {
  const header = JSON.parse(bytes.toString("utf8", 8, 8 + bytes.readUInt32LE(0))) as { id: PointId; payload?: Record<string, unknown> };
  return { id: header.id, payload: header.payload ?? {}, vectors: new Map() };
}

// --- internal ---

/** `{"op":"u","id":…` as {@link encodeUpsert} and {@link encodeDelete} write it, read without parsing the payload. */
const HEAD = /^\{"op":"([ud])","id":(\d+|"[0-9a-f-]+")[,}]/;

function headerIdentity(bytes: Buffer): { op: "u" | "d"; id: PointId } {
  const start = bytes.toString("latin1", 8, Math.min(bytes.length, 8 + 64));
  const m = HEAD.exec(start);
  if (m) return { op: m[1] as "u" | "d", id: JSON.parse(m[2] ?? "null") as PointId };
  const record = decodeRecord(bytes);
  return { op: record.op, id: record.op === "u" ? record.point.id : record.id };
}

const littleEndian = endianness() === "LE";

function decodeOne(headerBytes: Buffer, data: Buffer): LogRecord {
  const header = JSON.parse(headerBytes.toString("utf8")) as { op: string; id: PointId; payload?: Record<string, unknown>; v?: [string, number][] };
  if (header.op === "d") return { op: "d", id: header.id };
  if (header.op !== "u") throw new Error(`unknown record operation ${JSON.stringify(header.op)}`);
  const vectors = new Map<string, Float32Array>();
  let at = 0;
  for (const [name, dim] of header.v ?? []) {
    const values = new Float32Array(dim);
    if (littleEndian) Buffer.from(values.buffer).set(data.subarray(at, at + dim * 4));
    else for (let i = 0; i < dim; i++) values[i] = data.readFloatLE(at + i * 4);
    vectors.set(name, values);
    at += dim * 4;
  }
  if (at !== data.length) throw new Error(`record of point ${header.id} has ${data.length} bytes of vectors, expected ${at}`);
  return { op: "u", point: { id: header.id, payload: header.payload ?? {}, vectors } };
}
