/**
 * Field schemas shared by the manifest's sections: hashes, sizes, counts, names and artifact paths. Names and
 * paths are checked with the rules of `targets/layout.ts`, so a manifest can never point outside its backup
 * folder.
 */
import { z } from "zod";
import { assertCollectionName, assertRelativeArtifactPath, assertStackName, isBackupId } from "../targets/layout.ts";

/** A lowercase hex sha256. */
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 written as 64 lowercase hex characters");

/** A byte size (exact up to 2^53 bytes, far beyond any artifact). */
export const byteSize = z.number().int("must be a whole number of bytes").nonnegative("must not be negative");

/** A count of things (nodes, points, keys, jobs). */
export const count = z.number().int("must be a whole number").nonnegative("must not be negative");

/** Named counts, for example per label or per queue. */
export const counts = z.record(z.string().min(1, "names must not be empty"), count);

/** Versions of a server's modules, for example `{ "apoc": "5.26.0" }` or `{ "rdb": "12" }`. */
export const versions = z.record(z.string().min(1), z.string().min(1)).default({});

/** Engine-specific data kept as the engine gave it (JSON values only). */
export const details = z.record(z.string(), z.unknown()).default({});

/** Compression of a stored artifact. */
export const compression = z.enum(["zstd", "gzip", "none"]);

/** A path relative to the backup folder, refused when it could leave it. */
export const artifactPath = z.string().superRefine((value, ctx) => {
  const problem = messageOf(() => assertRelativeArtifactPath(value));
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
});

/** A Qdrant collection name as it may enter a key. */
export const collectionName = z.string().superRefine((value, ctx) => {
  const problem = messageOf(() => assertCollectionName(value));
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
});

/** A stack name (the rules of `--stack`). */
export const stackName = z.string().superRefine((value, ctx) => {
  const problem = messageOf(() => assertStackName(value));
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
});

/** A backup id: the backup folder's name, a UTC timestamp like `2025-10-25T14-30-00Z`. */
export const backupId = z.string().refine(isBackupId, "must be a backup id like 2025-10-25T14-30-00Z");

/**
 * The fields describing one stored artifact. The seed's `file`, `size_bytes` and `checksum_sha256` describe
 * the object as stored (compressed); the `raw_` fields describe the bytes the engine produced.
 */
export const artifactFields = {
  /** The engine's artifact name (`neo4j-backup.cypher`), what `RestoreContext.readArtifact` is asked for. */
  name: z.string().min(1).regex(/^[^/\\]+$/, "must be a plain file name (no '/' or '\\')"),
  /** Path relative to the backup folder, as stored (`neo4j/neo4j-backup.cypher.zst`). */
  file: artifactPath,
  compression,
  /** Stored bytes (after compression), as in the seed. */
  size_bytes: byteSize,
  /** sha256 of the stored bytes, as in the seed. */
  checksum_sha256: sha256Hex,
  /** Bytes the engine produced (before compression). */
  raw_size_bytes: byteSize,
  /** sha256 of the bytes the engine produced. */
  raw_checksum_sha256: sha256Hex,
};

/** One stored artifact on its own (used for artifacts beyond a section's main one). */
export const artifactEntry = z.looseObject(artifactFields);

// --- internal ---

function messageOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message.replace(/\.$/, "") : String(err);
  }
}
