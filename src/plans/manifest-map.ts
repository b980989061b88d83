/**
 * Mapping between engine sections (what engines return and take back) and the manifest's database sections
 * (the seed's field names plus ours). The engine's own `counts` and `details` are stored verbatim, so the
 * reverse mapping gives the engine exactly what it returned at backup time.
 */
import { IntegrityError } from "../core/errors.ts";
import type { ArtifactRecord, EngineName, EngineSection } from "../engines/engine.ts";
import { NEO4J_BACKUP_METHODS, artifactFieldsOf, artifactRecordOf } from "../manifest/index.ts";
import type { Manifest, ManifestInput } from "../manifest/index.ts";

type Databases = ManifestInput["databases"];

/** Puts an engine's section into the manifest's `databases`. */
export function addSection(databases: Databases, section: EngineSection): void {
  const { counts, details, version } = section;
  const versions = stringValues({ edition: details.edition, apoc: details.apocVersion, rdb: details.rdbVersion });
  if (section.engine === "neo4j") {
    const [main, ...extra] = section.artifacts;
    if (!main) throw new IntegrityError("The Neo4j engine returned no artifact.");
    const method = String(details.method) as keyof typeof NEO4J_BACKUP_METHODS;
    databases.neo4j = {
      backup_method: NEO4J_BACKUP_METHODS[method] ?? "cypher_export",
      version, versions, ...artifactFieldsOf(main), extra_artifacts: extra.map(artifactFieldsOf),
      node_count: counts.nodes ?? 0,
      relationship_count: counts.relationships ?? 0,
      labels: prefixed(counts, "nodes:"),
      relationship_types: prefixed(counts, "relationships:"),
      schema: { constraints: counts.constraints ?? 0, indexes: counts.indexes ?? 0 },
      counts, details,
    };
  } else if (section.engine === "qdrant") {
    const perCollection = (details.collections ?? {}) as Record<string, { points_count?: number; vectors_count?: number; snapshot_name?: string; snapshot_checksum?: string }>;
    const collections: Record<string, NonNullable<Databases["qdrant"]>["collections"][string]> = {};
    for (const artifact of section.artifacts) {
      const name = String(artifact.name.replace(/-snapshot\.tar$/, ""));
      const info = perCollection[name] ?? {};
      const points = info.points_count ?? counts[`points:${name}`] ?? 0;
      collections[name] = {
        ...artifactFieldsOf(artifact), points_count: points, vectors_count: info.vectors_count ?? points,
        snapshot_name: info.snapshot_name ?? "", snapshot_checksum_sha256: info.snapshot_checksum ?? "", details: {},
      };
    }
    databases.qdrant = { backup_method: "snapshots_api", version, versions, collections, counts, details };
  } else {
    const [main] = section.artifacts;
    if (!main) throw new IntegrityError("The Redis engine returned no artifact.");
    const keysPerDb = prefixed(counts, "keys:db");
    databases.redis = {
      backup_method: "rdb_snapshot", version, versions, ...artifactFieldsOf(main),
      keys_count: Object.values(keysPerDb).reduce((a, b) => a + b, 0),
      keys_per_db: keysPerDb,
      rq_queues: rqQueueLengths(details.rq),
      counts, details,
    };
  }
}

/** The engine section a manifest recorded for `engine`, or `undefined` when that store was not backed up. */
export function sectionOf(manifest: Manifest, engine: EngineName): EngineSection | undefined {
  const db = manifest.databases[engine];
  if (!db) return undefined;
  let artifacts: ArtifactRecord[];
  if (engine === "neo4j" && manifest.databases.neo4j) {
    const n = manifest.databases.neo4j;
    artifacts = [artifactRecordOf(n), ...n.extra_artifacts.map(artifactRecordOf)];
  } else if (engine === "qdrant" && manifest.databases.qdrant) {
    artifacts = Object.values(manifest.databases.qdrant.collections).map(artifactRecordOf);
  } else if (manifest.databases.redis) {
    artifacts = [artifactRecordOf(manifest.databases.redis)];
  } else {
    return undefined;
  }
  return { engine, version: db.version, artifacts, counts: db.counts, details: db.details };
}

/** Total stored bytes of a manifest's artifacts. */
export function storedBytes(sections: readonly EngineSection[]): number {
  return sections.flatMap((s) => s.artifacts).reduce((sum, a) => sum + a.storedBytes, 0);
}

// --- internal ---

function prefixed(counts: Record<string, number>, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(counts)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = value;
  return out;
}

/** `{ db0: { ingestion: { queued: 3, … } } }` → `{ "db0/ingestion": 3 }`: queued jobs per queue. */
function rqQueueLengths(rq: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [db, queues] of Object.entries((rq ?? {}) as Record<string, Record<string, { queued?: number }>>)) {
    for (const [queue, counts] of Object.entries(queues)) out[`${db}/${queue}`] = counts.queued ?? 0;
  }
  return out;
}

function stringValues(values: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) if (typeof value === "string" && value !== "") out[key] = value;
  return out;
}
