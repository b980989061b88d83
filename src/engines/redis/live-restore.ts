/**
 * Live restore: loads an RDB into a running Redis with `RESTORE key ttl payload REPLACE ABSTTL`, pipelined in
 * batches with bounded bytes in flight, on one connection (`SELECT` between databases). Two passes over the
 * artifact: the first parses it whole and checks the CRC-64, the versions and the types without changing
 * anything; only then are the databases flushed and the second pass loads them. Keys whose absolute expiry
 * has passed are skipped.
 *
 * The first pass is skipped when the caller vouches for the bytes ({@link LiveRestoreOptions.checked}): the
 * backup parsed this RDB to its end as Redis sent it, and this run re-hashed the artifact against the manifest
 * before the restore began. The load pass still parses every record, so a malformed file fails it all the same,
 * only after the flush.
 */
import type { Readable } from "node:stream";
import type { Redis } from "ioredis";
import { EngineError, IntegrityError } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import type { Emitter } from "../../core/events.ts";
import { commandClient, type RedisConnectionOptions } from "./connection.ts";
import { RespPipe, connectSocket } from "./socket.ts";
import { dumpPayload, parseRdbRaw } from "./rdb/parser.ts";
import { countKey, rdbVersionOfServer, serverVersion } from "./server.ts";
import { verifyRdb } from "./verify.ts";

export interface LiveRestoreOptions {
  connection: RedisConnectionOptions;
  /** Re-opens the RDB artifact from the start (called twice). */
  open: () => Promise<Readable>;
  /** Only these databases are flushed and loaded; absent means every database (FLUSHALL). */
  dbs?: readonly number[];
  /** Empty databases that hold data; when false, a non-empty database is refused. */
  purge: boolean;
  signal: AbortSignal;
  events: Emitter;
  /**
   * What the backup's check found (`details.rdbCheck` of the manifest), given only when this run also re-hashed
   * the artifact and compared the RDB format with the server's (the engine's `checkRestorable`): the load then
   * begins at once, without the check pass and without asking the server its version.
   */
  checked?: { rdbVersion: number; dbs: readonly number[] };
  /** Command bytes sent and not yet answered (on loopback 1 MiB already keeps Redis busy; 8 MiB covers about 50 ms of round trip at 160 MB/s). @default 8 MiB */
  maxInFlightBytes?: number;
}

export interface LiveRestoreResult {
  rdbVersion: number;
  /** Keys restored per database (`keys:db<n>`). */
  restored: Record<string, number>;
  /** Keys skipped because their absolute expiry had passed. */
  expired: number;
  /** The same per database (`keys:db<n>`). */
  expiredByDb: Record<string, number>;
  functions: number;
}

/** Verifies then loads the RDB. @throws IntegrityError (nothing changed) or EngineError. */
export async function liveRestore(options: LiveRestoreOptions): Promise<LiveRestoreResult> {
  const { signal } = options;
  const wanted = options.dbs === undefined ? undefined : new Set(options.dbs);
  let client: Redis | undefined;
  const admin = (): Redis => (client ??= commandClient(options.connection, 0));
  try {
    let verified = options.checked;
    if (verified === undefined) {
      const version = await serverVersion(admin());
      const serverRdb = rdbVersionOfServer(version);
      verified = await checkPass(await options.open(), signal);
      if (verified.rdbVersion > serverRdb) {
        throw new EngineError(`The backup is an RDB of format ${verified.rdbVersion}, newer than this Redis ${version} reads (format ${serverRdb}).`, {
          hint: "Restore into a Redis at least as new as the one backed up, or use the file mode on a matching server.",
        });
      }
    }
    const dbs = [...(wanted ?? verified.dbs)].sort((a, b) => a - b);
    if (!options.purge) await refuseData(admin(), dbs);
    const result: LiveRestoreResult = { rdbVersion: verified.rdbVersion, restored: {}, expired: 0, expiredByDb: {}, functions: 0 };
    for (const db of dbs) {
      result.restored[countKey(db)] = 0;
      result.expiredByDb[countKey(db)] = 0;
    }
    await load(options, wanted === undefined ? undefined : { wanted, dbs }, result, admin);
    return result;
  } finally {
    client?.disconnect();
  }
}

// --- internal ---

async function checkPass(source: Readable, signal: AbortSignal): Promise<{ rdbVersion: number; dbs: number[] }> {
  const verified = await verifyRdb(source, signal);
  return { rdbVersion: verified.rdbVersion, dbs: [...verified.dbs.keys()] };
}

async function refuseData(admin: Redis, dbs: number[]): Promise<void> {
  for (const db of dbs) {
    await admin.select(db);
    const size = await admin.dbsize();
    if (size > 0) {
      throw new EngineError(`Redis database ${db} holds ${size} keys; refusing to restore over them.`, { hint: "Pass --purge to empty the databases being restored first." });
    }
  }
}

/** Empties every database, or only the selected ones, through the load's own connection, and waits for it. */
async function purge(pipe: RespPipe, selection: { dbs: number[] } | undefined): Promise<void> {
  if (selection === undefined) pipe.command(["FLUSHALL"]);
  else {
    for (const db of selection.dbs) {
      pipe.select(db);
      pipe.command(["FLUSHDB"]);
    }
  }
  await pipe.drain();
}

async function load(options: LiveRestoreOptions, selection: { wanted: Set<number>; dbs: number[] } | undefined, result: LiveRestoreResult, admin: () => Redis): Promise<void> {
  const wanted = selection?.wanted;
  // The connection is made while the artifact is opened and its first records read.
  const connecting = quiet(connectSocket(options.connection, options.signal));
  let pipe: RespPipe | undefined;
  let batches: ReturnType<typeof parseRdbRaw> | undefined;
  try {
    // The artifact is opened and its first records read before anything is emptied: a store that cannot be
    // read, or bytes that are not an RDB, fail here with the databases untouched.
    batches = parseRdbRaw(await options.open(), options.signal, { checksum: false });
    const first = await batches.next();
    const header = first.done === true ? undefined : first.value.find((record) => record.kind === "header");
    if (options.checked !== undefined && header?.version !== options.checked.rdbVersion) {
      throw new IntegrityError(`The RDB is of format ${header?.version ?? "unknown"}; the manifest recorded format ${options.checked.rdbVersion}.`);
    }
    pipe = new RespPipe(await connecting, options.maxInFlightBytes ?? 8 * 1024 * 1024);
    const { username, password } = options.connection;
    if (password !== undefined) pipe.command(username === undefined ? ["AUTH", password] : ["AUTH", username, password]);
    await purge(pipe, selection);
    let db = -1;
    let rdbVersion = 0;
    let restored = 0;
    let expired = 0;
    const settle = (): void => {
      if (db < 0) return;
      const name = countKey(db);
      result.restored[name] = (result.restored[name] ?? 0) + restored;
      result.expiredByDb[name] = (result.expiredByDb[name] ?? 0) + expired;
      result.expired += expired;
      restored = expired = 0;
    };
    // The check pass (here or at backup) checked the CRC-64; the artifact stream checks its sha256 again.
    for await (const batch of resumed(first, batches)) {
      const now = Date.now();
      for (const record of batch) {
        if (record.kind === "rawKey") {
          if (wanted !== undefined && !wanted.has(record.db)) continue;
          if (record.db !== db) {
            settle();
            db = record.db;
            pipe.select(db);
          }
          if (record.expireAtMs !== undefined && record.expireAtMs <= now) {
            expired++;
            continue;
          }
          restored++;
          if (pipe.restore(record, rdbVersion)) await pipe.room();
        } else if (record.kind === "header") rdbVersion = record.version;
        else if (record.kind === "function") {
          await admin().call("FUNCTION", "RESTORE", dumpPayload(record.payload, rdbVersion), "REPLACE");
          result.functions++;
        }
      }
    }
    settle();
    await pipe.drain();
  } finally {
    await batches?.return(undefined);
    if (pipe !== undefined) pipe.close();
    else void connecting.then((socket) => socket.destroy(), () => undefined);
  }
}

/** The batches of a parse whose first step was already taken (the caller closes `rest`). */
async function* resumed<T>(first: IteratorResult<T>, rest: AsyncIterator<T>): AsyncGenerator<T> {
  for (let step = first; step.done !== true; step = await rest.next()) yield step.value;
}
