/**
 * One collection of the Qdrant test server on disk: `collection.json` (config and payload indexes, replaced
 * atomically: write to a temporary file, then rename) and `points.log` (append-only records, see
 * `records.ts`). Points are read into memory on first use (lazily), so a server with many collections starts
 * fast; memory is then about 4 bytes per vector dimension per point plus the payload JSON, kept as encoded
 * records and decoded when read. Writes are serialised per collection.
 */
import { createReadStream } from "node:fs";
import { appendFile, readFile, rename, truncate, writeFile, stat } from "node:fs/promises";
import path from "node:path";
import type { CollectionMeta } from "./config.ts";
import { compareIds, matchesFilter } from "./points.ts";
import type { PointId, StoredPoint } from "./points.ts";
import { decodeHeader, decodeRecord, encodeDelete, encodeUpsert, splitRecords } from "./records.ts";

/** File names inside a collection folder. */
export const META_FILE = "collection.json";
export const POINTS_FILE = "points.log";

/** A collection whose points load on first use. */
export class Collection {
  readonly name: string;
  readonly dir: string;
  meta: CollectionMeta;
  /** Point id → its encoded upsert record. */
  private points: Map<PointId, Buffer> | undefined;
  private order: PointId[] | undefined;
  private operations = 0;
  /** Last answer of {@link valueCounts}, until the next write. */
  private counted: { fields: string; counts: Record<string, number> } | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(name: string, dir: string, meta: CollectionMeta) {
    this.name = name;
    this.dir = dir;
    this.meta = meta;
  }

  /** Opens the collection stored in `dir`; `points` (its encoded records, when the caller has them) saves a read. */
  static async open(name: string, dir: string, points?: Map<PointId, Buffer>): Promise<Collection> {
    const meta = JSON.parse(await readFile(path.join(dir, META_FILE), "utf8")) as CollectionMeta;
    const collection = new Collection(name, dir, meta);
    if (points) collection.points = points;
    return collection;
  }

  /** Writes a new collection folder's files from encoded upsert records (the caller renames the folder into place). */
  static async write(dir: string, meta: CollectionMeta, records: Iterable<Buffer>): Promise<void> {
    await writeFile(path.join(dir, META_FILE), JSON.stringify(meta, null, 2));
    const batch: Buffer[] = [];
    let size = 0;
    await writeFile(path.join(dir, POINTS_FILE), "");
    for (const record of records) {
      batch.push(record);
      size += record.length;
      if (size > 8 * 1024 * 1024) {
        await appendFile(path.join(dir, POINTS_FILE), Buffer.concat(batch));
        batch.length = 0;
        size = 0;
      }
    }
    if (batch.length > 0) await appendFile(path.join(dir, POINTS_FILE), Buffer.concat(batch));
  }

  /** Runs `fn` after every earlier write of this collection finished (one writer at a time). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Replaces `collection.json` atomically. */
  async saveMeta(meta: CollectionMeta): Promise<void> {
    const file = path.join(this.dir, META_FILE);
    await writeFile(`${file}.tmp`, JSON.stringify(meta, null, 2));
    await rename(`${file}.tmp`, file);
    this.meta = meta;
  }

  /** Upserts (replaces whole points); returns the operation number. */
  async upsert(points: StoredPoint[]): Promise<number> {
    const all = await this.load();
    const records = points.map(encodeUpsert);
    await appendFile(path.join(this.dir, POINTS_FILE), Buffer.concat(records));
    this.counted = undefined;
    points.forEach((p, i) => {
      if (!all.has(p.id)) this.order = undefined;
      all.set(p.id, records[i] ?? encodeUpsert(p));
    });
    return this.operations++;
  }

  /** Deletes points by id (unknown ids are ignored, like Qdrant); returns the operation number. */
  async deletePoints(ids: PointId[]): Promise<number> {
    const all = await this.load();
    const present = ids.filter((id) => all.has(id));
    if (present.length > 0) await appendFile(path.join(this.dir, POINTS_FILE), Buffer.concat(present.map(encodeDelete)));
    this.counted = undefined;
    for (const id of present) all.delete(id);
    if (present.length > 0) this.order = undefined;
    return this.operations++;
  }

  /** Counts an operation that changed only `collection.json` (payload indexes). */
  nextOperation(): number {
    return this.operations++;
  }

  /** One point, or undefined. */
  async get(id: PointId): Promise<StoredPoint | undefined> {
    const record = (await this.load()).get(id);
    return record ? decode(record) : undefined;
  }

  /** Points in Qdrant's id order, starting at `offset` (inclusive), keeping those that match `filter`. */
  async *ordered(offset?: PointId, filter?: unknown): AsyncGenerator<StoredPoint> {
    for await (const record of this.orderedRecords(offset)) {
      if (filter === undefined || filter === null || matchesFilter(decodeHeader(record), filter)) yield decode(record);
    }
  }

  /** The encoded upsert records in Qdrant's id order, starting at `offset` (inclusive). */
  async *orderedRecords(offset?: PointId): AsyncGenerator<Buffer> {
    const all = await this.load();
    this.order ??= [...all.keys()].sort(compareIds);
    for (const id of this.order) {
      if (offset !== undefined && compareIds(id, offset) < 0) continue;
      const record = all.get(id);
      if (record) yield record;
    }
  }

  /** Exact number of points matching `filter`. */
  async count(filter?: unknown): Promise<number> {
    const all = await this.load();
    if (filter === undefined || filter === null) return all.size;
    let n = 0;
    for (const record of all.values()) if (matchesFilter(decodeHeader(record), filter)) n++;
    return n;
  }

  /** How many points have a value (not null) for each of `fields`; remembered until the next write. */
  async valueCounts(fields: string[]): Promise<Record<string, number>> {
    const key = JSON.stringify(fields);
    if (this.counted?.fields === key) return { ...this.counted.counts };
    const counts = Object.fromEntries(fields.map((f) => [f, 0]));
    if (fields.length === 0) return counts;
    for (const record of (await this.load()).values()) {
      const { payload } = decodeHeader(record);
      for (const f of fields) if (payload[f] !== undefined && payload[f] !== null) counts[f] = (counts[f] ?? 0) + 1;
    }
    this.counted = { fields: key, counts: { ...counts } };
    return counts;
  }

  /** Reads `points.log` once; a torn record at its end (interrupted write) is cut off. */
  private async load(): Promise<Map<PointId, Buffer>> {
    if (this.points) return this.points;
    const file = path.join(this.dir, POINTS_FILE);
    const points = new Map<PointId, Buffer>();
    const state = { trailing: 0 };
    for await (const record of splitRecords(createReadStream(file, { highWaterMark: 1024 * 1024 }), state)) {
      if (record.op === "u") points.set(record.id, record.bytes);
      else points.delete(record.id);
      this.operations++;
    }
    if (state.trailing > 0) await truncate(file, (await stat(file)).size - state.trailing);
    this.points ??= points;
    return this.points;
  }
}

// --- internal ---

function decode(record: Buffer): StoredPoint {
  const decoded = decodeRecord(record);
  if (decoded.op !== "u") throw new Error(`a collection keeps upserts only, found a ${decoded.op} record`);
  return decoded.point;
}
