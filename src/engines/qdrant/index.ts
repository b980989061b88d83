/**
 * The Qdrant engine (DESIGN §4 step 4, §5 step 5): every collection (or the configured ones) through Qdrant's
 * snapshot API. Backup: create a snapshot (`wait=true`), stream its download into the artifact, keep Qdrant's
 * checksum beside ours, delete the server-side snapshot whatever happens. Restore: stream the artifact into
 * upload-recover with `priority=snapshot` and the checksum, check the exact point count and the vector
 * configuration, delete the copy Qdrant keeps. Refuses a server outside Qdrant's same-or-next-minor rule.
 *
 * Snapshots are uncompressed tars of mostly binary vectors, so the artifact's preferred compression is `none`
 * (bench/qdrant measures what zstd buys); an operator's explicit `--compression` wins.
 */
import { EngineError, IntegrityError, NotFoundError, UsageError } from "../../core/errors.ts";
import type { BackupContext, Compression, Engine, EngineInspection, EngineSection, RestoreContext } from "../engine.ts";
import { QdrantClient, type QdrantClientOptions } from "./client.ts";
import { assertSnapshotCompatible } from "./version.ts";

export { QDRANT_ENDPOINTS } from "./client.ts";

/** The KnowWhere collections; one missing on the server is worth a warning. */
export const SEED_COLLECTIONS = ["knowbase", "rfp_qa", "knowwhere_proto"] as const;

export interface QdrantEngineOptions extends QdrantClientOptions {
  /** Collections to back up; empty or absent means every collection on the server. @default [] */
  collections?: readonly string[];
  /** Restore collection `old` under the name `new` (`--rename old=new`). @default {} */
  rename?: Readonly<Record<string, string>>;
  /** Preferred compression of snapshot artifacts. @default "none" */
  compression?: Compression;
}

/** What the manifest keeps per collection (under `details.collections`). */
export interface CollectionRecord {
  points_count: number;
  vectors_count: number;
  snapshot_name: string;
  snapshot_checksum: string;
  /** `config.params` at backup time (vectors, shards…), compared after a restore. */
  params: Record<string, unknown>;
}

export function createQdrantEngine(options: QdrantEngineOptions): Engine {
  return new QdrantEngine(options);
}

// --- internal ---

const artifactName = (collection: string): string => `${collection}-snapshot.tar`;

class QdrantEngine implements Engine {
  readonly name = "qdrant" as const;
  private readonly client: QdrantClient;
  private readonly options: QdrantEngineOptions;

  constructor(options: QdrantEngineOptions) {
    this.options = options;
    this.client = new QdrantClient(options);
  }

  async inspect({ signal }: { signal: AbortSignal }): Promise<EngineInspection> {
    const version = await this.client.version(signal);
    return { version, counts: await this.count({ signal }), details: { url: this.client.url } };
  }

  async count({ signal }: { signal: AbortSignal }): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const back = Object.fromEntries(Object.entries(this.options.rename ?? {}).map(([from, to]) => [to, from]));
    for (const name of await this.client.collections(signal)) counts[`points:${back[name] ?? name}`] = await this.client.count(name, signal);
    return counts;
  }

  async backup(ctx: BackupContext): Promise<EngineSection> {
    const { signal, events } = ctx;
    const version = await this.client.version(signal);
    const names = await this.selectCollections(signal, events);
    const collections: Record<string, CollectionRecord> = {};
    const counts: Record<string, number> = {};
    const artifacts = [];
    for (const name of names) {
      const info = await this.client.collection(name, signal);
      const before = await this.client.count(name, signal);
      const snapshot = await this.client.createSnapshot(name, signal);
      let record;
      try {
        const body = await this.client.downloadSnapshot(name, snapshot.name, signal);
        record = await ctx.writeArtifact({ name: artifactName(name), compression: this.options.compression ?? "none" }, body);
      } finally {
        await this.client.deleteSnapshot(name, snapshot.name).catch((err: unknown) => events.warn(`Could not delete the snapshot ${snapshot.name} on the server: ${(err as Error).message}`));
      }
      if (snapshot.checksum && snapshot.checksum !== record.rawSha256) {
        throw new IntegrityError(`The snapshot of '${name}' downloaded with sha256 ${record.rawSha256}, but Qdrant made it with ${snapshot.checksum}.`);
      }
      const after = await this.client.count(name, signal);
      if (after !== before) throw new EngineError(`Collection '${name}' changed during its snapshot (${before} points, then ${after}): something writes to Qdrant during the backup.`, { hint: "Stop the writers (the worker and the app) and back up again." });
      artifacts.push(record);
      counts[`points:${name}`] = after;
      collections[name] = { points_count: after, vectors_count: after * vectorsPerPoint(info.config.params), snapshot_name: snapshot.name, snapshot_checksum: snapshot.checksum ?? record.rawSha256, params: info.config.params };
      events.ok(`Collection '${name}': ${after} points`);
    }
    return { engine: "qdrant", version, artifacts, counts, details: { collections } };
  }

  async checkRestorable(section: EngineSection, { signal }: { signal: AbortSignal }): Promise<void> {
    if (section.engine !== "qdrant") throw new IntegrityError(`This is a ${section.engine} section, not a Qdrant one.`);
    const collections = recordsOf(section);
    for (const name of Object.keys(collections)) {
      if (!section.artifacts.some((a) => a.name === artifactName(name))) throw new IntegrityError(`The Qdrant section lists no snapshot artifact for '${name}'.`);
    }
    const unknown = Object.keys(this.options.rename ?? {}).filter((name) => !(name in collections));
    if (unknown.length > 0) {
      throw new UsageError(`--rename names ${unknown.map((n) => `'${n}'`).join(", ")}, which the backup does not hold.`, { hint: `The backup holds: ${Object.keys(collections).join(", ") || "no collection"}.` });
    }
    assertSnapshotCompatible(section.version, await this.client.version(signal));
  }

  async restore(section: EngineSection, ctx: RestoreContext): Promise<void> {
    const { signal, events } = ctx;
    await this.checkRestorable(section, { signal });
    const existing = new Set(await this.client.collections(signal));
    for (const [name, record] of Object.entries(recordsOf(section))) {
      const target = this.options.rename?.[name] ?? name;
      if (existing.has(target)) {
        if (!ctx.purge) throw new EngineError(`Qdrant collection '${target}' exists; refusing to restore over it.`, { hint: "Restore into a server without it, or let the restore replace it (confirm with --yes)." });
        await this.client.deleteCollection(target, signal);
      }
      const fileName = `${target}-stackvault-restore-${Date.now()}.snapshot`;
      const artifact = section.artifacts.find((a) => a.name === artifactName(name));
      await this.client.uploadSnapshot(target, fileName, await ctx.readArtifact(artifactName(name)), artifact?.rawSha256 ?? record.snapshot_checksum, signal);
      await this.removeUploaded(target, fileName, signal, events);
      const points = await this.client.count(target, signal);
      if (points !== record.points_count) throw new EngineError(`Collection '${target}' has ${points} points after the restore; the backup holds ${record.points_count}.`);
      const params = (await this.client.collection(target, signal)).config.params;
      if (JSON.stringify(sorted(params.vectors)) !== JSON.stringify(sorted(record.params.vectors))) {
        throw new EngineError(`Collection '${target}' has another vector configuration after the restore than in the backup.`);
      }
      events.ok(`Collection '${target}': ${points} points restored${target === name ? "" : ` (from '${name}')`}`);
    }
  }

  async close(): Promise<void> {}

  private async selectCollections(signal: AbortSignal, events: BackupContext["events"]): Promise<string[]> {
    const all = await this.client.collections(signal);
    for (const seed of SEED_COLLECTIONS) if (!all.includes(seed)) events.warn(`The KnowWhere collection '${seed}' is not on this Qdrant server.`);
    const wanted = this.options.collections ?? [];
    if (wanted.length === 0) return all.sort();
    const missing = wanted.filter((n) => !all.includes(n));
    if (missing.length > 0) throw new NotFoundError(`Qdrant at ${this.client.url} has no collection ${missing.map((m) => `'${m}'`).join(", ")}.`, { hint: `It has: ${all.join(", ") || "no collection"}. Fix --qdrant-collections.` });
    return [...wanted];
  }

  private async removeUploaded(collection: string, fileName: string, signal: AbortSignal, events: RestoreContext["events"]): Promise<void> {
    for (const snapshot of await this.client.listSnapshots(collection, signal)) {
      if (snapshot.name === fileName) {
        await this.client.deleteSnapshot(collection, snapshot.name, signal).catch((err: unknown) => events.warn(`Could not delete the uploaded snapshot ${fileName}: ${(err as Error).message}`));
      }
    }
  }
}

function recordsOf(section: EngineSection): Record<string, CollectionRecord> {
  const collections = section.details.collections;
  if (!collections || typeof collections !== "object") throw new IntegrityError("The Qdrant section has no collection records.");
  return collections as Record<string, CollectionRecord>;
}

/** Dense vectors per point: 1 for the unnamed vector, else one per name. */
function vectorsPerPoint(params: Record<string, unknown>): number {
  const vectors = params.vectors;
  if (!vectors || typeof vectors !== "object") return 1;
  return "size" in vectors ? 1 : Math.max(1, Object.keys(vectors).length);
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, sorted(v)]));
  return value;
}
