/** Every artifact a manifest lists, in a fixed order, with where it belongs. */
import type { Manifest, ManifestArtifact } from "./schema.ts";

/** One artifact of a manifest and the store it belongs to. */
export interface ListedArtifact {
  database: "neo4j" | "qdrant" | "redis";
  /** The Qdrant collection, for Qdrant artifacts. */
  collection?: string;
  artifact: ManifestArtifact;
}

/**
 * Lists the manifest's artifacts: Neo4j's main artifact and its extra ones, then each Qdrant collection in
 * the manifest's order, then Redis's.
 */
export function manifestArtifacts(manifest: Manifest): ListedArtifact[] {
  const out: ListedArtifact[] = [];
  const { neo4j, qdrant, redis } = manifest.databases;
  if (neo4j !== undefined) {
    out.push({ database: "neo4j", artifact: pick(neo4j) });
    for (const extra of neo4j.extra_artifacts) out.push({ database: "neo4j", artifact: pick(extra) });
  }
  if (qdrant !== undefined) {
    for (const [collection, entry] of Object.entries(qdrant.collections)) {
      out.push({ database: "qdrant", collection, artifact: pick(entry) });
    }
  }
  if (redis !== undefined) out.push({ database: "redis", artifact: pick(redis) });
  return out;
}

/**
 * Joins a backup folder's prefix (from `layout.backupPrefix`, with or without its trailing `/`) and an
 * artifact path read from a manifest. The path was already checked by the schema.
 */
export function joinKey(backupPrefix: string, file: string): string {
  if (backupPrefix === "") return file;
  return backupPrefix.endsWith("/") ? `${backupPrefix}${file}` : `${backupPrefix}/${file}`;
}

// --- internal ---

function pick(a: ManifestArtifact): ManifestArtifact {
  return {
    name: a.name,
    file: a.file,
    compression: a.compression,
    size_bytes: a.size_bytes,
    checksum_sha256: a.checksum_sha256,
    raw_size_bytes: a.raw_size_bytes,
    raw_checksum_sha256: a.raw_checksum_sha256,
  };
}
