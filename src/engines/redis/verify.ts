/**
 * The read-only first pass of every restore: parses the whole RDB (CRC-64, format, types) without changing
 * anything, and tells what it holds per database — keys, and the absolute expiry of those that have one, so
 * that a restore can account for keys that expire before they are loaded.
 */
import type { Readable } from "node:stream";
import { IntegrityError } from "../../core/errors.ts";
import { parseRdbRaw } from "./rdb/parser.ts";

export interface RdbDatabaseContent {
  keys: number;
  /** Absolute expiry times (ms) of the keys that have one, ascending. */
  expiries: number[];
}

export interface VerifiedRdb {
  rdbVersion: number;
  /** Every database of the file that holds keys (all of them, whatever `wanted` says). */
  dbs: Map<number, RdbDatabaseContent>;
  functions: number;
}

/** Parses the RDB to its end. @throws IntegrityError when it is malformed, truncated or its checksum is wrong. */
export async function verifyRdb(source: Readable, signal: AbortSignal): Promise<VerifiedRdb> {
  const out: VerifiedRdb = { rdbVersion: 0, dbs: new Map(), functions: 0 };
  let ended = false;
  for await (const batch of parseRdbRaw(source, signal)) {
    for (const record of batch) {
      if (record.kind === "header") out.rdbVersion = record.version;
      else if (record.kind === "rawKey") {
        let db = out.dbs.get(record.db);
        if (db === undefined) out.dbs.set(record.db, (db = { keys: 0, expiries: [] }));
        db.keys++;
        if (record.expireAtMs !== undefined) db.expiries.push(record.expireAtMs);
      } else if (record.kind === "function") out.functions++;
      else if (record.kind === "end") ended = true;
    }
  }
  if (!ended) throw new IntegrityError("The RDB did not parse to its end.");
  for (const db of out.dbs.values()) db.expiries.sort((a, b) => a - b);
  return out;
}

/** Keys of `db` whose expiry is after `atMs` (those a load at that moment keeps). */
export function liveKeysAt(db: RdbDatabaseContent, atMs: number): number {
  let lo = 0;
  let hi = db.expiries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((db.expiries[mid] as number) <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return db.keys - lo;
}
