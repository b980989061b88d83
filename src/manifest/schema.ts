/**
 * The schema of `metadata.json` (DESIGN.md §6): the seed's fields, kept with their names and meaning, plus
 * what stackvault needs to restore and to prove a restore. One zod schema validates it on write and on read.
 *
 * Seed fields: `backup_timestamp`, `stack_name`, `instance_id`, `region`, `databases.neo4j`,
 * `databases.qdrant.collections.*`, `databases.redis` (each with `backup_method`, `file`, `size_bytes`,
 * `checksum_sha256` and the seed's counts `node_count`, `relationship_count`, `vectors_count`, `keys_count`),
 * `backup_duration_seconds`, `status`.
 *
 * Added: `format_version`, `tool`, `backup_id`, `compression`, `skipped`; per database `version`, `versions`,
 * `counts` (the engine's flat counts, compared after a restore) and `details` (engine-specific data); per
 * artifact `name`, `compression`, `raw_size_bytes`, `raw_checksum_sha256`; Neo4j per-label and
 * per-relationship-type counts, schema counts and extra artifacts; Qdrant points count, snapshot name and
 * Qdrant's own snapshot checksum; Redis keys per database and RQ queue lengths.
 *
 * Objects accept unknown keys and keep them, so a manifest of a newer minor format reads and verifies.
 *
 * Mapping from an engine's section (done by plans; the manifest does not import engines): `version` →
 * `version`, `counts` → `counts`, `details` → `details` plus the typed fields below that the engine reports
 * in its details (labels, relationship types, schema counts, collections, keys per db, RQ queues). Artifacts
 * go through `artifactFieldsOf`: Neo4j's first artifact into the section itself, the others into
 * `extra_artifacts`; one per Qdrant collection; Redis's into its section.
 */
import { z } from "zod";
import {
  artifactEntry, artifactFields, backupId, collectionName, count, counts, compression, details, sha256Hex, stackName,
  versions,
} from "./fields.ts";

/** The format this stackvault writes. Readers accept any `1.x`; other majors are refused. */
export const FORMAT_VERSION = "1.1";

/**
 * Values of `databases.neo4j.backup_method` for each `--neo4j-method`. `cypher_export` is the seed's value;
 * stackvault's default method writes the same portable Cypher script.
 */
export const NEO4J_BACKUP_METHODS = { cypher: "cypher_export", apoc: "apoc_cypher_export", dump: "neo4j_admin_dump" } as const;

/** The Neo4j section: one Cypher script or dump (plus extra artifacts if the engine writes more). */
export const neo4jSection = z.looseObject({
  backup_method: z.enum(["cypher_export", "apoc_cypher_export", "neo4j_admin_dump"]),
  /** Neo4j server version, e.g. `5.26.0`; `versions` holds `edition`, `apoc`. */
  version: z.string().min(1),
  versions,
  ...artifactFields,
  /** Artifacts beyond the main one (for example a separate schema script), in the engine's order. */
  extra_artifacts: z.array(artifactEntry).default([]),
  node_count: count,
  relationship_count: count,
  /** Nodes per label. */
  labels: counts,
  /** Relationships per type. */
  relationship_types: counts,
  /** Schema counts: constraints and indexes (vector and full-text included). */
  schema: z.looseObject({ constraints: count, indexes: count }),
  counts,
  details,
});

/** One Qdrant collection: its snapshot, stored as one artifact. */
export const qdrantCollection = z
  .looseObject({
    ...artifactFields,
    /** The seed's count: vectors stored, that is points × vectors per point (Qdrant 1.19 no longer reports it). */
    vectors_count: count,
    /** Points in the collection, compared after a restore. */
    points_count: count,
    /** The server-side snapshot's name, e.g. `knowbase-123-2025-10-25-14-30-00.snapshot`. */
    snapshot_name: z.string().min(1),
    /** Qdrant's own checksum of the snapshot file; passed back on upload-recover. */
    snapshot_checksum_sha256: sha256Hex,
    details,
  })
  .refine((c) => c.snapshot_checksum_sha256 === c.raw_checksum_sha256, {
    message: "must equal raw_checksum_sha256 (the downloaded snapshot differs from the one Qdrant made)",
    path: ["snapshot_checksum_sha256"],
  });

export const qdrantSection = z.looseObject({
  backup_method: z.literal("snapshots_api"),
  /** Qdrant server version, e.g. `1.19.0` (a snapshot restores on the same or the next minor). */
  version: z.string().min(1),
  versions,
  collections: z.record(collectionName, qdrantCollection),
  counts,
  details,
});

export const redisSection = z.looseObject({
  backup_method: z.literal("rdb_snapshot"),
  /** Redis server version, e.g. `7.2.4`; `versions.rdb` holds the RDB format version. */
  version: z.string().min(1),
  versions,
  ...artifactFields,
  keys_count: count,
  /** Keys per database number (`"0"`, `"1"` …). */
  keys_per_db: z.record(z.string().regex(/^\d+$/, "database numbers are written as digits"), count),
  /** Length of each RQ queue at backup time. */
  rq_queues: counts,
  counts,
  details,
});

export const manifestSchema = z.looseObject({
  format_version: z.string().regex(/^\d+\.\d+$/, 'must look like "1.0"'),
  tool: z.looseObject({ name: z.literal("stackvault"), version: z.string().min(1) }),
  /** The backup folder's name. */
  backup_id: backupId,
  /** When the backup started (ISO 8601, UTC), as in the seed. */
  backup_timestamp: z.iso.datetime({ offset: true }),
  stack_name: stackName,
  /** EC2 instance the stores ran on; `null` in direct mode. */
  instance_id: z.string().min(1).nullable(),
  region: z.string().min(1).nullable(),
  /** The run's compression (each artifact records its own). */
  compression,
  databases: z
    .looseObject({ neo4j: neo4jSection.optional(), qdrant: qdrantSection.optional(), redis: redisSection.optional() })
    .refine((d) => d.neo4j !== undefined || d.qdrant !== undefined || d.redis !== undefined, {
      message: "must hold at least one of neo4j, qdrant, redis",
    }),
  /** Stores left out on purpose (`--skip-…`). */
  skipped: z.array(z.enum(["neo4j", "qdrant", "redis"])).default([]),
  backup_duration_seconds: z.number().nonnegative(),
  /** `completed` for a usable backup; anything else must not be restored or become `latest`. */
  status: z.enum(["completed", "failed"]),
  /** sha256 of this JSON without this field (format 1.1; see seal.ts). Written by writeManifest. */
  manifest_sha256: sha256Hex.optional(),
}).superRefine((m, ctx) => {
  for (const name of m.skipped) {
    if (m.databases[name] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["skipped"], message: `lists ${name}, which the manifest also holds a section for` });
    }
  }
});

/** A validated manifest (defaults filled in). */
export type Manifest = z.output<typeof manifestSchema>;
/** What a writer provides (fields with defaults may be left out). */
export type ManifestInput = z.input<typeof manifestSchema>;
export type Neo4jManifestSection = z.output<typeof neo4jSection>;
export type QdrantManifestSection = z.output<typeof qdrantSection>;
export type QdrantManifestCollection = z.output<typeof qdrantCollection>;
export type RedisManifestSection = z.output<typeof redisSection>;
export type ManifestArtifact = z.output<typeof artifactEntry>;
