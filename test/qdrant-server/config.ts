/**
 * Collection configuration of the Qdrant test server: builds the `CollectionConfig` Qdrant 1.19 reports from a
 * `CreateCollection` request (Qdrant's defaults filled in), reads the dense vector specs out of it, checks that
 * two configs are snapshot-compatible, and turns request vectors into stored Float32 vectors (dimension check,
 * Cosine normalisation as Qdrant does on insert).
 */
import { qdrantErrors } from "./http.ts";

/** `CollectionConfig` as returned inside `GET /collections/{name}`. */
export type CollectionConfigJson = Record<string, unknown> & { params: Record<string, unknown> };

/** A payload index: `data_type` plus the optional params of the request. */
export interface PayloadIndexSpec {
  data_type: string;
  params?: Record<string, unknown>;
}

/** Everything a collection keeps besides its points (`collection.json`). */
export interface CollectionMeta {
  config: CollectionConfigJson;
  payload_schema: Record<string, PayloadIndexSpec>;
}

/** One dense vector of the collection; `name` is `""` for the unnamed vector. */
export interface VectorSpec {
  name: string;
  size: number;
  distance: string;
}

/** The configuration Qdrant would report for a collection created with `request`. */
export function buildConfig(request: Record<string, unknown>): CollectionConfigJson {
  if (request.sparse_vectors && Object.keys(request.sparse_vectors as object).length > 0) {
    throw qdrantErrors.badRequest("the Qdrant test server supports dense vectors only (no sparse_vectors)");
  }
  const vectors = (request.vectors ?? {}) as Record<string, unknown>;
  for (const spec of Object.values(typeof vectors.size === "number" ? { "": vectors } : vectors)) {
    if ((spec as { multivector_config?: unknown }).multivector_config) {
      throw qdrantErrors.badRequest("the Qdrant test server supports single dense vectors only (no multivector_config)");
    }
  }
  return {
    params: {
      vectors,
      shard_number: request.shard_number ?? 1,
      replication_factor: request.replication_factor ?? 1,
      write_consistency_factor: request.write_consistency_factor ?? 1,
      on_disk_payload: request.on_disk_payload ?? true,
    },
    hnsw_config: merge({ m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false }, request.hnsw_config),
    optimizer_config: merge(
      {
        deleted_threshold: 0.2,
        vacuum_min_vector_number: 1000,
        default_segment_number: 0,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: 10000,
        flush_interval_sec: 5,
        max_optimization_threads: null,
      },
      request.optimizers_config,
    ),
    wal_config: merge({ wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 }, request.wal_config),
    quantization_config: request.quantization_config ?? null,
    ...(request.metadata ? { metadata: request.metadata } : {}),
  };
}

/** The dense vectors of a configuration, sorted by name. */
export function vectorSpecs(config: CollectionConfigJson): VectorSpec[] {
  const vectors = (config.params.vectors ?? {}) as Record<string, { size: number; distance: string }>;
  if (typeof (vectors as { size?: unknown }).size === "number") {
    const single = vectors as unknown as { size: number; distance: string };
    return [{ name: "", size: single.size, distance: single.distance }];
  }
  return Object.entries(vectors)
    .map(([name, v]) => ({ name, size: v.size, distance: v.distance }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Why a snapshot with config `incoming` cannot replace a collection with config `existing`, or undefined. */
export function incompatibility(existing: CollectionConfigJson, incoming: CollectionConfigJson): string | undefined {
  const a = JSON.stringify(vectorSpecs(existing));
  const b = JSON.stringify(vectorSpecs(incoming));
  if (a !== b) return `Snapshot is not compatible with existing collection: vectors config differs (existing ${a}, snapshot ${b})`;
  if (existing.params.shard_number !== incoming.params.shard_number) {
    return `Snapshot is not compatible with existing collection: shard number differs (existing ${String(existing.params.shard_number)}, snapshot ${String(incoming.params.shard_number)})`;
  }
  return undefined;
}

/** Turns one request vector into a stored one: checks name and dimension, normalises for Cosine distance. */
export function toStoredVector(specs: VectorSpec[], name: string, raw: unknown): Float32Array {
  const spec = specs.find((s) => s.name === name);
  if (!spec) throw qdrantErrors.badInput(`Not existing vector name error: ${name}`);
  if (!Array.isArray(raw) || raw.some((x) => typeof x !== "number")) {
    throw qdrantErrors.badRequest(`vector ${JSON.stringify(name)}: the Qdrant test server supports dense vectors only`);
  }
  if (raw.length !== spec.size) throw qdrantErrors.badInput(`Vector dimension error: expected dim: ${spec.size}, got ${raw.length}`);
  const values = Float32Array.from(raw as number[]);
  if (spec.distance === "Cosine") {
    let norm = 0;
    for (const x of values) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > Number.EPSILON) for (let i = 0; i < values.length; i++) values[i] = (values[i] ?? 0) / norm;
  }
  return values;
}

// --- internal ---

/** Applies a `*Diff` object onto defaults, ignoring the nulls a diff uses for "unchanged". */
function merge(defaults: Record<string, unknown>, diff: unknown): Record<string, unknown> {
  const out = { ...defaults };
  for (const [k, v] of Object.entries((diff ?? {}) as Record<string, unknown>)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
