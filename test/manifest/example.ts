/** Manifests for tests: a complete valid one, and the seed's example from the French brief. */
import { createHash } from "node:crypto";
import { FORMAT_VERSION, type ManifestInput } from "../../src/manifest/index.ts";

export function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A complete manifest in format 1.0, every database present. */
export function exampleManifest(): ManifestInput {
  return {
    format_version: FORMAT_VERSION,
    tool: { name: "stackvault", version: "0.1.0" },
    backup_id: "2025-10-25T14-30-00Z",
    backup_timestamp: "2025-10-25T14:30:00Z",
    stack_name: "KnowWhere-Production",
    instance_id: "i-0123456789abcdef0",
    region: "eu-west-1",
    compression: "zstd",
    databases: {
      neo4j: {
        backup_method: "cypher_export",
        version: "5.26.0",
        versions: { edition: "community", apoc: "5.26.0" },
        name: "neo4j-backup.cypher",
        file: "neo4j/neo4j-backup.cypher.zst",
        compression: "zstd",
        size_bytes: 12458960,
        checksum_sha256: sha("neo4j stored"),
        raw_size_bytes: 98458960,
        raw_checksum_sha256: sha("neo4j raw"),
        node_count: 15420,
        relationship_count: 48320,
        labels: { Document: 12000, Chunk: 3420 },
        relationship_types: { HAS_CHUNK: 48320 },
        schema: { constraints: 3, indexes: 5 },
        counts: { nodes: 15420, relationships: 48320 },
      },
      qdrant: {
        backup_method: "snapshots_api",
        version: "1.19.0",
        collections: {
          knowbase: {
            name: "knowbase-snapshot.tar",
            file: "qdrant/knowbase-snapshot.tar.zst",
            compression: "zstd",
            size_bytes: 152458960,
            checksum_sha256: sha("knowbase stored"),
            raw_size_bytes: 160000000,
            raw_checksum_sha256: sha("knowbase raw"),
            vectors_count: 12450,
            points_count: 12450,
            snapshot_name: "knowbase-1-2025-10-25-14-30-05.snapshot",
            snapshot_checksum_sha256: sha("knowbase raw"),
          },
        },
        counts: { "points:knowbase": 12450 },
      },
      redis: {
        backup_method: "rdb_snapshot",
        version: "7.2.4",
        versions: { rdb: "11" },
        name: "redis-dump.rdb",
        file: "redis/redis-dump.rdb.zst",
        compression: "zstd",
        size_bytes: 2458960,
        checksum_sha256: sha("redis stored"),
        raw_size_bytes: 4458960,
        raw_checksum_sha256: sha("redis raw"),
        keys_count: 1240,
        keys_per_db: { "0": 1200, "1": 40 },
        rq_queues: { default: 3, high: 0 },
        counts: { "keys:db0": 1200, "keys:db1": 40 },
      },
    },
    backup_duration_seconds: 185,
    status: "completed",
  };
}

/** The seed's example metadata.json, verbatim (placeholders included). */
export const SEED_EXAMPLE = `{
  "backup_timestamp": "2025-10-25T14:30:00Z",
  "stack_name": "KnowWhere-Production",
  "instance_id": "i-0123456789abcdef0",
  "region": "eu-west-1",
  "databases": {
    "neo4j": {
      "backup_method": "cypher_export",
      "file": "neo4j/neo4j-backup.cypher.gz",
      "size_bytes": 12458960,
      "checksum_sha256": "abc123...",
      "node_count": 15420,
      "relationship_count": 48320
    },
    "qdrant": {
      "backup_method": "snapshots_api",
      "collections": {
        "knowbase": {
          "file": "qdrant/knowbase-snapshot.tar.gz",
          "size_bytes": 152458960,
          "checksum_sha256": "def456...",
          "vectors_count": 12450
        },
        "rfp_qa": {
          "file": "qdrant/rfp_qa-snapshot.tar.gz",
          "size_bytes": 45821056,
          "vectors_count": 3420
        },
        "knowwhere_proto": {
          "file": "qdrant/knowwhere_proto-snapshot.tar.gz",
          "size_bytes": 98745632,
          "vectors_count": 8920
        }
      }
    },
    "redis": {
      "backup_method": "rdb_snapshot",
      "file": "redis/redis-dump.rdb.gz",
      "size_bytes": 2458960,
      "checksum_sha256": "ghi789...",
      "keys_count": 1240
    }
  },
  "backup_duration_seconds": 185,
  "status": "completed"
}`;

type Json = Record<string, unknown>;

/**
 * Translates the seed's example into format 1.0 by adding fields only — no seed field is renamed, removed or
 * changed in meaning: the placeholder hashes (`abc123...`) become real sha256 values and the two collections
 * the example left without a checksum get one (format 1.0 requires a checksum for every artifact), and the
 * added fields (format_version, tool, backup_id, compression, versions, raw sizes and hashes, detailed counts)
 * are filled in.
 */
export function translateSeedExample(seedText: string): Json {
  const m = JSON.parse(seedText) as Json;
  const dbs = m["databases"] as Record<string, Json>;
  const artifact = (entry: Json, name: string): void => {
    const file = entry["file"] as string;
    if (!/^[0-9a-f]{64}$/.test(String(entry["checksum_sha256"]))) entry["checksum_sha256"] = sha(`${file} stored`);
    Object.assign(entry, {
      name, compression: "gzip",
      raw_size_bytes: (entry["size_bytes"] as number) * 4, raw_checksum_sha256: sha(`${file} raw`),
    });
  };
  const neo4j = dbs["neo4j"] as Json;
  artifact(neo4j, "neo4j-backup.cypher");
  Object.assign(neo4j, {
    version: "5.26.0", labels: {}, relationship_types: {}, schema: { constraints: 0, indexes: 0 },
    counts: { nodes: neo4j["node_count"], relationships: neo4j["relationship_count"] },
  });
  const qdrant = dbs["qdrant"] as Json;
  const counts: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(qdrant["collections"] as Record<string, Json>)) {
    artifact(c, `${name}-snapshot.tar`);
    Object.assign(c, {
      points_count: c["vectors_count"], snapshot_name: `${name}-1-2025-10-25-14-30-05.snapshot`,
      snapshot_checksum_sha256: c["raw_checksum_sha256"],
    });
    counts[`points:${name}`] = c["vectors_count"];
  }
  Object.assign(qdrant, { version: "1.19.0", counts });
  const redis = dbs["redis"] as Json;
  artifact(redis, "redis-dump.rdb");
  Object.assign(redis, { version: "7.2.4", keys_per_db: { "0": redis["keys_count"] }, rq_queues: {}, counts: { "keys:db0": redis["keys_count"] } });
  return {
    format_version: "1.0", tool: { name: "stackvault", version: "0.1.0" }, backup_id: "2025-10-25T14-30-00Z",
    compression: "gzip", ...m,
  };
}
