/**
 * The data folder of the Qdrant test server:
 *
 *   DATA/peer_id                        this node's peer id (in snapshot names), made once
 *   DATA/collections/<name>/            one folder per collection (see collection.ts)
 *   DATA/snapshots/<name>/              snapshots of a collection, each with a `.checksum` file when created here
 *   DATA/tmp/                           uploads and folders being built; emptied at start
 *
 * Creating, replacing and deleting a collection build or move whole folders and then rename, so a crash
 * leaves either the old or the new collection, never half of one.
 */
import { randomBytes, randomInt } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Collection } from "./collection.ts";
import type { CollectionMeta } from "./config.ts";
import { qdrantErrors } from "./http.ts";
import type { PointId } from "./points.ts";

/** All collections of one data folder. */
export class Store {
  readonly dataDir: string;
  readonly peerId: number;
  private readonly collections = new Map<string, Collection>();

  private constructor(dataDir: string, peerId: number) {
    this.dataDir = dataDir;
    this.peerId = peerId;
  }

  /** Opens (or initialises) `dataDir` and reads every collection's config; points load on first use. */
  static async open(dataDir: string): Promise<Store> {
    for (const sub of ["collections", "snapshots"]) await mkdir(path.join(dataDir, sub), { recursive: true });
    await rm(path.join(dataDir, "tmp"), { recursive: true, force: true });
    await mkdir(path.join(dataDir, "tmp"));
    const peerFile = path.join(dataDir, "peer_id");
    let peerId = Number((await readFile(peerFile, "utf8").catch(() => "")).trim());
    if (!Number.isSafeInteger(peerId) || peerId <= 0) {
      peerId = randomInt(1, 2 ** 48) * 16 + randomInt(0, 16);
      await writeFile(peerFile, String(peerId));
    }
    const store = new Store(dataDir, peerId);
    for (const entry of await readdir(path.join(dataDir, "collections"), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name.startsWith(".")) {
        await rm(path.join(dataDir, "collections", entry.name), { recursive: true, force: true });
        continue;
      }
      const name = decodeURIComponent(entry.name);
      store.collections.set(name, await Collection.open(name, path.join(dataDir, "collections", entry.name)));
    }
    return store;
  }

  /** Collection names, sorted. */
  names(): string[] {
    return [...this.collections.keys()].sort();
  }

  /** The collection, or undefined. */
  find(name: string): Collection | undefined {
    return this.collections.get(name);
  }

  /** The collection, or Qdrant's 404. */
  get(name: string): Collection {
    const c = this.collections.get(name);
    if (!c) throw qdrantErrors.collectionMissing(name);
    return c;
  }

  /** Creates an empty collection; Qdrant's 409 when it exists. */
  async create(name: string, meta: CollectionMeta): Promise<void> {
    if (this.collections.has(name)) throw qdrantErrors.collectionExists(name);
    await this.install(name, meta, new Map());
  }

  /**
   * Replaces (or creates) a collection with `points` (id → encoded upsert record): the new folder is complete
   * before the old one goes.
   */
  async install(name: string, meta: CollectionMeta, points: Map<PointId, Buffer>): Promise<Collection> {
    const building = this.tmpPath("collection");
    await mkdir(building);
    await Collection.write(building, meta, points.values());
    const final = this.collectionDir(name);
    const old = this.collections.get(name);
    if (old) await rename(final, path.join(this.dataDir, "collections", `.old-${randomBytes(6).toString("hex")}`));
    await rename(building, final);
    const collection = await Collection.open(name, final, points);
    this.collections.set(name, collection);
    await this.sweep();
    return collection;
  }

  /** Deletes a collection; false when there was none (Qdrant answers `result: false` then). */
  async delete(name: string): Promise<boolean> {
    if (!this.collections.has(name)) return false;
    this.collections.delete(name);
    await rename(this.collectionDir(name), path.join(this.dataDir, "collections", `.old-${randomBytes(6).toString("hex")}`));
    await this.sweep();
    return true;
  }

  /** The folder of a collection's snapshots (kept when the collection is deleted, like Qdrant). */
  snapshotDir(name: string): string {
    return path.join(this.dataDir, "snapshots", encodeURIComponent(name));
  }

  /** A fresh path under `DATA/tmp/`. */
  tmpPath(prefix: string): string {
    return path.join(this.dataDir, "tmp", `${prefix}-${randomBytes(8).toString("hex")}`);
  }

  // --- internal ---

  private collectionDir(name: string): string {
    return path.join(this.dataDir, "collections", encodeURIComponent(name));
  }

  private async sweep(): Promise<void> {
    for (const entry of await readdir(path.join(this.dataDir, "collections"))) {
      if (entry.startsWith(".old-")) await rm(path.join(this.dataDir, "collections", entry), { recursive: true, force: true });
    }
  }
}
