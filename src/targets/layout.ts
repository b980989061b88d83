/**
 * The object layout of a backup target (DESIGN.md §6, seed-compatible). This file is the ONLY place that spells
 * object keys; everything else asks it. Keys are relative to the target root:
 *
 * ```
 * retention-policy.json
 * stacks/{stack}/{backup-id}/metadata.json
 * stacks/{stack}/{backup-id}/neo4j/neo4j-backup.cypher.zst     (.dump.zst for method dump)
 * stacks/{stack}/{backup-id}/qdrant/{collection}-snapshot.tar.zst
 * stacks/{stack}/{backup-id}/redis/redis-dump.rdb.zst
 * stacks/{stack}/latest
 * stacks/{stack}/lock
 * stacks/{stack}/restores/{restore-id}.json
 * ```
 *
 * The suffix follows the compression (`.zst`, `.gz`, none). Every name that enters a key is validated here, and
 * every key read back from a manifest is checked to stay inside its backup folder.
 */
import { IntegrityError, UsageError } from "../core/errors.ts";

/** Compression of a stored artifact; decides its suffix. */
export type Compression = "zstd" | "gzip" | "none";

/** How the Neo4j artifact was produced: an APOC Cypher export or a `neo4j-admin database dump`. */
export type Neo4jMethod = "cypher" | "dump";

/** Key of the bucket-wide retention policy. */
export const RETENTION_POLICY_KEY = "retention-policy.json";

/** Prefix under which every stack lives (list it to find stacks). */
export const STACKS_PREFIX = "stacks/";

/** `.zst`, `.gz` or `""`. */
export function compressionSuffix(compression: Compression): string {
  if (compression === "zstd") return ".zst";
  if (compression === "gzip") return ".gz";
  return "";
}

/** The compression a stored file name implies (by its suffix). */
export function compressionOf(fileName: string): Compression {
  if (fileName.endsWith(".zst")) return "zstd";
  if (fileName.endsWith(".gz")) return "gzip";
  return "none";
}

/** Prefix of everything a stack owns: `stacks/{stack}/`. */
export function stackPrefix(stack: string): string {
  return `${STACKS_PREFIX}${assertStackName(stack)}/`;
}

/** Folder of one backup: `stacks/{stack}/{backup-id}/`. */
export function backupPrefix(stack: string, backupId: string): string {
  return `${stackPrefix(stack)}${assertBackupId(backupId)}/`;
}

/** `stacks/{stack}/{backup-id}/metadata.json` (written last). */
export function metadataKey(stack: string, backupId: string): string {
  return `${backupPrefix(stack, backupId)}metadata.json`;
}

/** `stacks/{stack}/latest`: small JSON naming the newest verified backup. */
export function latestKey(stack: string): string {
  return `${stackPrefix(stack)}latest`;
}

/** `stacks/{stack}/lock`: the run lock. */
export function lockKey(stack: string): string {
  return `${stackPrefix(stack)}lock`;
}

/** Prefix of the restore records of a stack: `stacks/{stack}/restores/`. */
export function restoresPrefix(stack: string): string {
  return `${stackPrefix(stack)}restores/`;
}

/** `stacks/{stack}/restores/{restore-id}.json`; a restore id has the backup-id format. */
export function restoreRecordKey(stack: string, restoreId: string): string {
  return `${restoresPrefix(stack)}${assertBackupId(restoreId, "restore id")}.json`;
}

/**
 * File names of artifacts, relative to the backup folder; this is what the manifest's `file` fields hold.
 * Join with {@link artifactKey}.
 */
export const artifactFiles = {
  /** `neo4j/neo4j-backup.cypher.zst` or `neo4j/neo4j-backup.dump.zst`. */
  neo4j(method: Neo4jMethod, compression: Compression): string {
    return `neo4j/neo4j-backup.${method}${compressionSuffix(compression)}`;
  },
  /** `qdrant/{collection}-snapshot.tar.zst`. */
  qdrant(collection: string, compression: Compression): string {
    return `qdrant/${assertCollectionName(collection)}-snapshot.tar${compressionSuffix(compression)}`;
  },
  /** `redis/redis-dump.rdb.zst`. */
  redis(compression: Compression): string {
    return `redis/redis-dump.rdb${compressionSuffix(compression)}`;
  },
} as const;

/**
 * Path, relative to the backup folder, of an artifact an engine named: `{engine}/{name}{suffix}` (for example
 * `qdrant/knowbase-snapshot.tar.zst`). The seed's names come out of the engines' names.
 * @throws IntegrityError when `name` is not a plain, safe file name.
 */
export function engineArtifactFile(engine: "neo4j" | "qdrant" | "redis", name: string, compression: Compression): string {
  if (name.includes("/")) throw new IntegrityError(`Artifact name ${JSON.stringify(name)} must be a plain file name.`);
  return assertRelativeArtifactPath(`${engine}/${name}${compressionSuffix(compression)}`);
}

/**
 * Full key of an artifact given its path relative to the backup folder (as written in, or read from, a
 * manifest). Refuses anything that could leave the folder.
 * @throws IntegrityError when `relativePath` is empty, absolute, has `.`/`..`/empty segments, backslashes or
 * control characters.
 */
export function artifactKey(stack: string, backupId: string, relativePath: string): string {
  return `${backupPrefix(stack, backupId)}${assertRelativeArtifactPath(relativePath)}`;
}

/**
 * Checks a path read from a manifest: relative, inside the backup folder, made of safe segments.
 * @returns the path unchanged.
 * @throws IntegrityError saying what is wrong with it.
 */
export function assertRelativeArtifactPath(relativePath: string): string {
  const problem = relativePathProblem(relativePath);
  if (problem !== undefined) {
    throw new IntegrityError(`Unsafe object path ${JSON.stringify(relativePath)} in the manifest: ${problem}.`, {
      hint: "The manifest may have been tampered with; artifact paths must stay inside their backup folder.",
    });
  }
  return relativePath;
}

/** The part of a listed key after `stacks/{stack}/` up to the next `/`, when it is a backup id. */
export function backupIdFromKey(stack: string, key: string): string | undefined {
  const prefix = stackPrefix(stack);
  if (!key.startsWith(prefix)) return undefined;
  const segment = key.slice(prefix.length).split("/")[0] ?? "";
  return isBackupId(segment) && key.length > prefix.length + segment.length ? segment : undefined;
}

/** The stack name of a key under `stacks/`, when it is a valid one. */
export function stackFromKey(key: string): string | undefined {
  if (!key.startsWith(STACKS_PREFIX)) return undefined;
  const parts = key.slice(STACKS_PREFIX.length).split("/");
  const name = parts[0] ?? "";
  return parts.length > 1 && stackNameProblem(name) === undefined ? name : undefined;
}

// --- backup ids --------------------------------------------------------------------------------------------

const BACKUP_ID = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z$/;

/** A new backup id for `date` (default now), in UTC to the second: `2025-10-25T14-30-00Z`. */
export function newBackupId(date: Date = new Date()): string {
  if (Number.isNaN(date.getTime())) throw new UsageError("Cannot make a backup id from an invalid date.");
  return `${date.toISOString().slice(0, 19).replace(/:/g, "-")}Z`;
}

/** The instant a backup id names, or `undefined` when `id` is not a valid backup id. */
export function parseBackupId(id: string): Date | undefined {
  const m = BACKUP_ID.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 2025-02-30 over into March: a round trip catches impossible dates.
  return newBackupId(date) === id ? date : undefined;
}

/** True when `id` is a well-formed backup id naming a real instant. */
export function isBackupId(id: string): boolean {
  return parseBackupId(id) !== undefined;
}

/**
 * @returns `id` unchanged.
 * @throws UsageError when `id` is not of the form `2025-10-25T14-30-00Z`.
 */
export function assertBackupId(id: string, what = "backup id"): string {
  if (!isBackupId(id)) {
    throw new UsageError(
      `Invalid ${what} ${JSON.stringify(id)}: expected a UTC timestamp like 2025-10-25T14-30-00Z.`,
      { hint: "List the available backups with `stackvault list`." },
    );
  }
  return id;
}

// --- names -------------------------------------------------------------------------------------------------

/**
 * A stack name: 1–128 characters of letters, digits, `-`, `_` and `.`, starting with a letter or digit, no
 * `..` (CloudFormation names are a subset).
 * @returns `name` unchanged.
 * @throws UsageError saying what is allowed.
 */
export function assertStackName(name: string): string {
  const problem = stackNameProblem(name);
  if (problem !== undefined) {
    throw new UsageError(`Invalid stack name ${JSON.stringify(name)}: ${problem}.`, {
      hint: "A stack name has 1–128 letters, digits, '-', '_' or '.', starts with a letter or digit, and has no '/' or '..'.",
    });
  }
  return name;
}

/**
 * A Qdrant collection name as it enters a key: 1–200 letters, digits, `-`, `_`, `.`, not starting with `.`.
 * @returns `name` unchanged.
 * @throws IntegrityError (a name read from a manifest or a server is data, not a flag).
 */
export function assertCollectionName(name: string): string {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/.test(name) || name.includes("..")) {
    throw new IntegrityError(
      `Unsafe collection name ${JSON.stringify(name)}: only letters, digits, '-', '_' and '.' are allowed (no '/', no '..', not starting with '.').`,
      { hint: "Rename the collection, or check where this name came from (a tampered manifest?)." },
    );
  }
  return name;
}

// --- internal ---

function stackNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > 128) return `it has ${name.length} characters (at most 128)`;
  if (name.includes("/")) return "it contains '/'";
  if (name.includes("..")) return "it contains '..'";
  if (!/^[A-Za-z0-9]/.test(name)) return "it must start with a letter or a digit";
  const bad = /[^A-Za-z0-9._-]/.exec(name);
  if (bad) return `character ${JSON.stringify(bad[0])} is not allowed`;
  return undefined;
}

function relativePathProblem(p: string): string | undefined {
  if (p.length === 0) return "it is empty";
  if (p.length > 512) return "it is longer than 512 characters";
  if (p.startsWith("/")) return "it is absolute";
  if (/^[A-Za-z]:/.test(p)) return "it names a drive";
  if (p.includes("\\")) return "it contains a backslash";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(p)) return "it contains a control character";
  for (const segment of p.split("/")) {
    if (segment === "") return "it has an empty segment";
    if (segment === "." || segment === "..") return `it has a '${segment}' segment`;
  }
  return undefined;
}
