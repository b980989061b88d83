/**
 * What a Redis server is and holds: version, RDB format it writes, keys per database, replication settings.
 */
import type { Redis } from "ioredis";

/** The RDB format version a Redis version writes (and the newest it reads). */
export function rdbVersionOfServer(version: string): number {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  const v = major * 100 + minor;
  if (v >= 704) return 12;
  if (v >= 702) return 11;
  if (v >= 700) return 10;
  if (v >= 500) return 9;
  if (v >= 400) return 8;
  if (v >= 302) return 7;
  return 6;
}

/** `redis_version` from INFO server. */
export async function serverVersion(client: Redis): Promise<string> {
  return (await client.info("server")).match(/redis_version:([^\r\n]+)/)?.[1] ?? "unknown";
}

/** Keys per database from INFO keyspace, as `keys:db<n>` counts. */
export async function keyspaceCounts(client: Redis, dbs?: readonly number[]): Promise<Record<string, number>> {
  const found = [...(await client.info("keyspace")).matchAll(/^db(\d+):keys=(\d+)/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
  return countsOf(found, dbs);
}

/**
 * `keys:db<n>` counts of the databases in `keys` (database, keys), only those of the selection `dbs` when
 * given, each of which then has a count (0 when it holds nothing).
 */
export function countsOf(keys: Iterable<readonly [number, number]>, dbs?: readonly number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [db, n] of keys) if (dbs === undefined || dbs.includes(db)) counts[countKey(db)] = n;
  for (const db of dbs ?? []) counts[countKey(db)] ??= 0;
  return counts;
}

/** The manifest's count key of database `db`: `keys:db<n>`. */
export function countKey(db: number): string {
  return `${COUNT_PREFIX}${db}`;
}

/** The database a `keys:db<n>` count key names; undefined for any other key. */
export function dbOfCountKey(key: string): number | undefined {
  return key.startsWith(COUNT_PREFIX) ? Number(key.slice(COUNT_PREFIX.length)) : undefined;
}

const COUNT_PREFIX = "keys:db";
