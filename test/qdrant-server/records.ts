/**
 * The binary record format of the Qdrant test server, used both by a collection's append-only `points.log`
 * and by the `0/points.bin` file inside snapshots:
 *
 *   u32 LE header length | u32 LE data length | header JSON | data
 *
 * The header is `{"op":"u","id":…,"payload":…,"v":[[name, dim], …]}` (upsert; data = the Float32 LE vectors
 * in `v` order) or `{"op":"d","id":…}` (delete; no data). Vectors stay binary, so 12,450 points of 1,536
 * dimensions take about 77 MB instead of the 250 MB their JSON would.
 */
import { endianness } from "node:os";
import type { PointId, StoredPoint } from "./points.ts";

/** A decoded record. */
export type LogRecord = { op: "u"; point: StoredPoint } | { op: "d"; id: PointId };

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
 * Decodes records from a byte stream, holding at most one record plus one chunk in memory. After the
 * iteration, `state.trailing` tells how many bytes at the end did not form a whole record (a torn write).
 */
export async function* decodeRecords(source: AsyncIterable<Buffer | Uint8Array>, state: { trailing: number } = { trailing: 0 }): AsyncGenerator<LogRecord> {
  let pending = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    let at = 0;
    while (pending.length - at >= 8) {
      const headerLength = pending.readUInt32LE(at);
      const dataLength = pending.readUInt32LE(at + 4);
      const end = at + 8 + headerLength + dataLength;
      if (pending.length < end) break;
      yield decodeOne(pending.subarray(at + 8, at + 8 + headerLength), pending.subarray(at + 8 + headerLength, end));
      at = end;
    }
    pending = pending.subarray(at);
  }
  state.trailing = pending.length;
}

// --- internal ---

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
