/**
 * One collection of the Qdrant test server on disk: `collection.json` (config and payload indexes, replaced
 * atomically: write to a temporary file, then rename) and `points.log` (append-only records, see
 * `records.ts`). Points are read into memory on first use (lazily), so a server with many collections starts
 * fast; memory is then about 4 bytes per vector dimension per point plus the payload JSON. Writes are
 * serialised per collection.
 */
import { createReadStream } from "node:fs";
import { appendFile, readFile, rename, truncate, writeFile, stat } from "node:fs/promises";
import path from "node:path";
import type { CollectionMeta } from "./config.ts";
import { compareIds, matchesFilter } from "./points.ts";
import type { PointId, StoredPoint } from "./points.ts";
import { decodeRecords, encodeDelete, encodeUpsert } from "./records.ts";

/** File names inside a collection folder. */
export const META_FILE = "collection.json";
export const POINTS_FILE = "points.log";

/** A collection whose points load on first use. */
export class Collection {
  readonly name: string;
  readonly dir: string;
  meta: CollectionMeta;
  private points: Map<PointId, StoredPoint> | undefined;
  private order: PointId[] | undefined;
  private operations = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(name: string, dir: string, meta: CollectionMeta) {
    this.name = name;
    this.dir = dir;
    this.meta = meta;
  }

  /** Opens the collection stored in `dir`. */
  static async open(name: string, dir: string): Promise<Collection> {
    const meta = JSON.parse(await readFile(path.join(dir, META_FILE), "utf8")) as CollectionMeta;
    return new Collection(name, dir, meta);
  }

  /** Writes a new collection folder's files (the caller renames the folder into place). */
  static async write(dir: string, meta: CollectionMeta, points: Iterable<StoredPoint>): Promise<void> {
    await writeFile(path.join(dir, META_FILE), JSON.stringify(meta, null, 2));
    const batch: Buffer[] = [];
    let size = 0;
    await writeFile(path.join(dir, POINTS_FILE), "");
    for (const point of points) {
      const record = encodeUpsert(point);
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
    await appendFile(path.join(this.dir, POINTS_FILE), Buffer.concat(points.map(encodeUpsert)));
    for (const p of points) {
      if (!all.has(p.id)) this.order = undefined;
      all.set(p.id, p);
    }
    return this.operations++;
  }

  /** Deletes points by id (unknown ids are ignored, like Qdrant); returns the operation number. */
  async deletePoints(ids: PointId[]): Promise<number> {
    const all = await this.load();
    const present = ids.filter((id) => all.has(id));
    if (present.length > 0) await appendFile(path.join(this.dir, POINTS_FILE), Buffer.concat(present.map(encodeDelete)));
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
    return (await this.load()).get(id);
  }

  /** Points in Qdrant's id order, starting at `offset` (inclusive), keeping those that match `filter`. */
  async *ordered(offset?: PointId, filter?: unknown): AsyncGenerator<StoredPoint> {
    const all = await this.load();
    this.order ??= [...all.keys()].sort(compareIds);
    for (const id of this.order) {
      if (offset !== undefined && compareIds(id, offset) < 0) continue;
      const point = all.get(id);
      if (point && matchesFilter(point, filter)) yield point;
    }
  }

  /** Exact number of points matching `filter`. */
  async count(filter?: unknown): Promise<number> {
    const all = await this.load();
    if (filter === undefined || filter === null) return all.size;
    let n = 0;
    for (const p of all.values()) if (matchesFilter(p, filter)) n++;
    return n;
  }

  /** Reads `points.log` once; a torn record at its end (interrupted write) is cut off. */
  async load(): Promise<Map<PointId, StoredPoint>> {
    if (this.points) return this.points;
    const file = path.join(this.dir, POINTS_FILE);
    const points = new Map<PointId, StoredPoint>();
    const state = { trailing: 0 };
    for await (const record of decodeRecords(createReadStream(file, { highWaterMark: 1024 * 1024 }), state)) {
      if (record.op === "u") points.set(record.point.id, record.point);
      else points.delete(record.id);
      this.operations++;
    }
    if (state.trailing > 0) await truncate(file, (await stat(file)).size - state.trailing);
    this.points ??= points;
    return this.points;
  }
}
