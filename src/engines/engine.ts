/**
 * The engine contract: one per data store (Neo4j, Qdrant, Redis). An engine reads a store into artifact
 * streams and loads artifact streams back into a store. It never touches S3 or files of the backup: the plan
 * hands it `writeArtifact` / `readArtifact`, which run the pipeline (compress, hash, count) and the target.
 * Every engine passes the engine contract suite against its real server.
 */
import type { Readable } from "node:stream";
import type { Emitter } from "../core/events.ts";

export type EngineName = "neo4j" | "qdrant" | "redis";

/** Compression applied to an artifact as stored. */
export type Compression = "zstd" | "gzip" | "none";

/** What an engine asks the plan to store. */
export interface ArtifactSpec {
  /**
   * File name inside the engine's folder of the backup, without the compression suffix
   * (`neo4j-backup.cypher`, `knowbase-snapshot.tar`, `redis-dump.rdb`). Must be a plain file name.
   */
  name: string;
  /**
   * The engine's preferred compression for this artifact (for example `none` for dense binary data). The
   * operator's `--compression` wins when given explicitly.
   */
  compression?: Compression;
}

/** What the plan recorded about one stored artifact (goes into the manifest). */
export interface ArtifactRecord {
  /** Name as given in {@link ArtifactSpec.name}. */
  name: string;
  /** Key relative to the backup folder, as stored (for example `qdrant/knowbase-snapshot.tar.zst`). */
  file: string;
  compression: Compression;
  /** Bytes produced by the engine (before compression). */
  rawBytes: number;
  /** Bytes stored in the target (after compression). */
  storedBytes: number;
  /** sha256 (hex) of the bytes produced by the engine. */
  rawSha256: string;
  /** sha256 (hex) of the bytes stored. */
  storedSha256: string;
}

export interface BackupContext {
  signal: AbortSignal;
  events: Emitter;
  /**
   * Streams `source` through the pipeline into the target and resolves once the artifact is stored. Memory is
   * bounded by the pipeline's buffers, whatever the artifact's size. Rejects (and stores nothing) if `source`
   * errors or the signal aborts.
   */
  writeArtifact(spec: ArtifactSpec, source: Readable): Promise<ArtifactRecord>;
}

export interface RestoreContext {
  signal: AbortSignal;
  events: Emitter;
  /**
   * Opens a stored artifact by its {@link ArtifactSpec.name}, decompressed. The stream fails with an
   * `IntegrityError` at its end if the bytes do not hash to the recorded sha256, so a consumer must not
   * commit what it read before the stream ended cleanly (or must have verified beforehand).
   */
  readArtifact(name: string): Promise<Readable>;
  /**
   * True when the plan asks to empty a store that holds data before loading the backup. When false or
   * absent, an engine refuses (EngineError) to restore into a store that is not empty. Engines purge only
   * inside `restore()`, which the plan calls after every artifact was verified.
   */
  purge?: boolean;
  /**
   * True when, earlier in the same run (the plan's preflight), every artifact of this restore was re-hashed
   * against the manifest and the engine's `checkRestorable` accepted the section. An engine may then skip a
   * pass of its own that only guards against damaged bytes, and the checks `checkRestorable` made.
   */
  verified?: boolean;
}

/** The engine's part of the manifest. Engines add their own detail fields under `details`. */
export interface EngineSection {
  engine: EngineName;
  /** Server version (and module versions in `details`). */
  version: string;
  artifacts: ArtifactRecord[];
  /** Flat counts compared after a restore (`nodes`, `relationships`, `points:knowbase`, `keys:db0` …). */
  counts: Record<string, number>;
  details: Record<string, unknown>;
}

/** What {@link Engine.inspect} learned without changing anything. */
export interface EngineInspection {
  version: string;
  counts: Record<string, number>;
  details: Record<string, unknown>;
}

/** What a restore reports back when the store deliberately differs from the backup's counts. */
export interface RestoreOutcome {
  /**
   * Counts the store must have now, for the keys that differ from {@link EngineSection.counts}, each difference
   * accounted for by the engine (a Redis key that expired since the backup, a stale RQ worker key removed).
   * The plan compares the store with these instead of the backup's.
   */
  expectedCounts?: Record<string, number>;
}

export interface Engine {
  readonly name: EngineName;

  /** Connects and reads version and counts. Never writes. @throws EngineError when unreachable or refused. */
  inspect(options: { signal: AbortSignal }): Promise<EngineInspection>;

  /** Reads the store into artifacts through `ctx.writeArtifact` and returns the manifest section. */
  backup(ctx: BackupContext): Promise<EngineSection>;

  /**
   * Checks, before anything is purged, that `section` can be restored into this server (versions, format,
   * required features). Changes nothing. @throws IntegrityError or EngineError naming what does not fit.
   */
  checkRestorable(section: EngineSection, options: { signal: AbortSignal }): Promise<void>;

  /** Replaces the store's content with the backup's. Only called after every artifact was verified. */
  restore(section: EngineSection, ctx: RestoreContext): Promise<RestoreOutcome | void>;

  /** Current counts, keyed like {@link EngineSection.counts}. */
  count(options: { signal: AbortSignal }): Promise<Record<string, number>>;

  /** Releases connections. */
  close(): Promise<void>;
}
