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
 * An artifact as the plans and engines describe it (the shape of the engine contract's `ArtifactRecord`,
 * restated here because the manifest does not depend on engines).
 */
export interface ArtifactRecordLike {
  name: string;
  file: string;
  compression: ManifestArtifact["compression"];
  rawBytes: number;
  storedBytes: number;
  rawSha256: string;
  storedSha256: string;
}

/** The manifest's fields for an artifact record (what a plan spreads into a section or collection). */
export function artifactFieldsOf(record: ArtifactRecordLike): ManifestArtifact {
  return {
    name: record.name,
    file: record.file,
    compression: record.compression,
    size_bytes: record.storedBytes,
    checksum_sha256: record.storedSha256,
    raw_size_bytes: record.rawBytes,
    raw_checksum_sha256: record.rawSha256,
  };
}

/** The artifact record a manifest entry describes (what a plan hands back to an engine for a restore). */
export function artifactRecordOf(entry: ManifestArtifact): ArtifactRecordLike {
  return {
    name: entry.name,
    file: entry.file,
    compression: entry.compression,
    rawBytes: entry.raw_size_bytes,
    storedBytes: entry.size_bytes,
    rawSha256: entry.raw_checksum_sha256,
    storedSha256: entry.checksum_sha256,
  };
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
  return artifactFieldsOf(artifactRecordOf(a));
}
