/**
 * The Redis engine (issue "Redis engine"): backup streams a point-in-time RDB fetched over the replication
 * protocol (no SAVE, nothing written on the server with diskless sync), parsed and checked (CRC-64) as it
 * passes, and records the snapshot's own key counts; restore loads it live with pipelined `RESTORE … ABSTTL`
 * (or, in the file mode, replaces the RDB on the host and restarts Redis), then cleans RQ's state of workers
 * that no longer exist. A live restore checks the whole file before it flushes anything, unless the backup
 * checked it when taken and this run re-hashed the artifact against the manifest (the plan's preflight).
 *
 * A database selection (`dbs`) keeps the RDB whole as Redis sent it (its CRC-64 intact, readable by any Redis
 * tool); the selection is recorded in the manifest, counts cover only the selected databases, and a live
 * restore loads only them.
 */
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import type { Redis } from "ioredis";
import { ConfigError, EngineError, IntegrityError } from "../../core/errors.ts";
import type { BackupContext, Engine, EngineInspection, EngineSection, RestoreContext, RestoreOutcome } from "../engine.ts";
import { commandClient, connectionFailure, connectionHint, parseRedisUrl, type RedisConnectionOptions } from "./connection.ts";
import { type RedisHostAccess, fileRestore } from "./file-restore.ts";
import { RDB_CHECK, checkInPassing } from "./check-in-passing.ts";
import { liveRestore } from "./live-restore.ts";
import { fetchRdb } from "./replication.ts";
import { type StartedJobPolicy, recoverRq, rqCounts } from "./rq.ts";
import { countKey, countsOf, dbOfCountKey, keyspaceCounts, rdbVersionOfServer, serverVersion } from "./server.ts";

export const RDB_ARTIFACT = "redis-dump.rdb";

export interface RedisEngineOptions {
  /** `redis[s]://[user[:password]@]host:port`. */
  url: string;
  /** Password (overrides the URL's); registered as a secret. */
  password?: string;
  /** Only these databases are counted and restored (`--redis-dbs 0,1`); the RDB itself always holds all. */
  dbs?: readonly number[];
  /** Verify the TLS certificate of a rediss:// server. @default true */
  tlsRejectUnauthorized?: boolean;
  /** PEM file of the CA that signed a rediss:// server's certificate. @default the system's CAs */
  tlsCaFile?: string;
  /** `live`: RESTORE into the running server; `file`: replace the RDB on the host and restart. @default "live" */
  restoreMode?: "live" | "file";
  /** The host that runs Redis (required by the file mode). */
  host?: RedisHostAccess;
  /** What happens to jobs a dead worker had started, after a restore. @default "requeue" */
  rqStartedJobs?: StartedJobPolicy;
}

export function createRedisEngine(options: RedisEngineOptions): Engine {
  return new RedisEngine(options);
}

// --- internal ---

/** RQ's queue and registry sizes of each of `dbs` that has any. */
async function rqByDb(client: Redis, dbs: number[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const db of dbs) {
    await client.select(db);
    const counts = await rqCounts(client);
    if (Object.keys(counts).length > 0) out[`db${db}`] = counts;
  }
  return out;
}

/** The databases of `keys:db<n>` counts. */
function countedDbs(counts: Record<string, number>): number[] {
  return Object.keys(counts).map(dbOfCountKey).filter((db) => db !== undefined);
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

class RedisEngine implements Engine {
  readonly name = "redis" as const;
  private readonly options: RedisEngineOptions;
  private readonly connection: RedisConnectionOptions;

  constructor(options: RedisEngineOptions) {
    this.options = options;
    this.connection = parseRedisUrl(options.url, options.password);
    if (options.tlsRejectUnauthorized !== undefined) this.connection.tlsRejectUnauthorized = options.tlsRejectUnauthorized;
    if (options.tlsCaFile !== undefined) {
      try {
        this.connection.tlsCa = readFileSync(options.tlsCaFile);
      } catch (err) {
        throw new ConfigError(`Cannot read the Redis TLS CA file ${options.tlsCaFile}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (options.restoreMode === "file" && options.host === undefined) throw new ConfigError("The Redis file restore mode needs access to the host that runs Redis.");
  }

  async inspect({ signal }: { signal: AbortSignal }): Promise<EngineInspection> {
    return this.withClient(async (client) => {
      signal.throwIfAborted();
      return { version: await serverVersion(client), counts: await keyspaceCounts(client, this.options.dbs), details: { host: this.connection.host, port: this.connection.port } };
    });
  }

  async count({ signal }: { signal: AbortSignal }): Promise<Record<string, number>> {
    signal.throwIfAborted();
    return this.withClient((client) => keyspaceCounts(client, this.options.dbs));
  }

  async backup(ctx: BackupContext): Promise<EngineSection> {
    const { version, counts, rq } = await this.withClient(async (client) => {
      const before = await keyspaceCounts(client, this.options.dbs);
      return { version: await serverVersion(client), counts: before, rq: await rqByDb(client, countedDbs(before)) };
    });
    const fetch = await fetchRdb(this.connection, ctx.signal);
    const checked = checkInPassing(fetch.stream as AsyncIterable<Buffer>, ctx.signal);
    const started = Date.now();
    const record = await ctx.writeArtifact({ name: RDB_ARTIFACT, compression: "zstd" }, checked.stream);
    const rdb = await checked.result;
    ctx.events.ok(`Redis RDB fetched over ${fetch.protocol.toUpperCase()} (${fetch.framing}) and checked: ${record.rawBytes} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The counts are those of the snapshot itself: a write between INFO and the fork is not a mismatch later.
    const snapshot = countsOf([...rdb.dbs].map(([db, content]) => [db, content.keys] as const), this.options.dbs);
    for (const db of new Set([...countedDbs(counts), ...countedDbs(snapshot)])) {
      const key = countKey(db);
      if (counts[key] !== snapshot[key]) ctx.events.warn(`Redis database ${db} changed while the backup started: ${counts[key] ?? 0} keys before, ${snapshot[key] ?? 0} in the point-in-time RDB (recorded)`);
    }
    return {
      engine: "redis",
      version,
      artifacts: [record],
      counts: snapshot,
      details: { rdbVersion: rdb.rdbVersion, rdbCheck: RDB_CHECK, dbs: this.options.dbs ?? null, protocol: fetch.protocol, framing: fetch.framing, rq },
    };
  }

  async checkRestorable(section: EngineSection, { signal }: { signal: AbortSignal }): Promise<void> {
    signal.throwIfAborted();
    const rdbVersion = Number(section.details.rdbVersion);
    const version = await this.withClient(serverVersion);
    if (!section.artifacts.some((a) => a.name === RDB_ARTIFACT)) throw new IntegrityError(`The Redis section of the manifest lists no ${RDB_ARTIFACT}.`);
    if (rdbVersion > rdbVersionOfServer(version)) {
      throw new EngineError(`The backup is an RDB of format ${rdbVersion}; Redis ${version} reads up to format ${rdbVersionOfServer(version)}.`, {
        hint: "Restore into a Redis at least as new as the one backed up.",
      });
    }
  }

  async restore(section: EngineSection, ctx: RestoreContext): Promise<RestoreOutcome> {
    const recorded = Array.isArray(section.details.dbs) ? (section.details.dbs as number[]) : undefined;
    const dbs = this.options.dbs ?? recorded;
    const notBackedUp = recorded === undefined ? [] : (dbs ?? []).filter((db) => !recorded.includes(db));
    if (notBackedUp.length > 0) {
      throw new EngineError(`Database${notBackedUp.length > 1 ? "s" : ""} ${notBackedUp.join(", ")} ${notBackedUp.length > 1 ? "were" : "was"} not part of this backup (it holds ${recorded?.join(", ")}).`, { hint: "Choose databases of the backup with --redis-dbs." });
    }
    const open = (): Promise<Readable> => ctx.readArtifact(RDB_ARTIFACT);
    let restored: Record<string, number>;
    let expiredByDb: Record<string, number>;
    if (this.options.restoreMode === "file" && this.options.host !== undefined) {
      const result = await fileRestore({ connection: this.connection, host: this.options.host, open, purge: ctx.purge === true, signal: ctx.signal, events: ctx.events, ...(dbs === undefined ? {} : { dbs }) });
      ({ restored, expiredByDb } = result);
      ctx.events.ok(`Redis: ${sum(restored)} keys loaded from ${result.path}${sum(expiredByDb) > 0 ? `, ${sum(expiredByDb)} expired meanwhile` : ""}`);
    } else {
      const checked = ctx.verified === true && section.details.rdbCheck === RDB_CHECK ? { rdbVersion: Number(section.details.rdbVersion), dbs: countedDbs(section.counts) } : undefined;
      const result = await liveRestore({ connection: this.connection, open, purge: ctx.purge === true, signal: ctx.signal, events: ctx.events, ...(dbs === undefined ? {} : { dbs }), ...(checked === undefined ? {} : { checked }) });
      ({ restored, expiredByDb } = result);
      ctx.events.ok(`Redis: ${sum(restored)} keys restored live${result.expired > 0 ? `, ${result.expired} skipped as expired` : ""}`);
    }
    for (const [key, count] of Object.entries(restored)) {
      const inBackup = section.counts[key];
      const inFile = count + (expiredByDb[key] ?? 0);
      if (inBackup !== undefined && inFile !== inBackup) {
        throw new EngineError(`Database ${dbOfCountKey(key)} of the RDB held ${inFile} keys; the manifest recorded ${inBackup}.`, { hint: "Something wrote to Redis during the backup; take a new backup with the writers stopped." });
      }
    }
    const expectedCounts: Record<string, number> = {};
    await this.withClient(async (client) => {
      for (const db of countedDbs(section.counts)) {
        // A database of the backup left out of this restore keeps what it holds.
        const key = countKey(db);
        if (key in restored) continue;
        await client.select(db);
        expectedCounts[key] = await client.dbsize();
      }
      for (const db of countedDbs(restored)) {
        const key = countKey(db);
        await client.select(db);
        const loaded = await client.dbsize();
        if (loaded !== restored[key]) throw new EngineError(`Redis database ${db} holds ${loaded} keys after the restore; ${restored[key]} were restored into it.`);
        const rq = await recoverRq(client, this.options.rqStartedJobs ?? "requeue");
        // RQ recovery removes stale worker keys on purpose (and may recreate a queue's list): count them in.
        expectedCounts[key] = await client.dbsize();
        if (rq.requeued.length + rq.failed.length + rq.workersRemoved > 0) {
          ctx.events.ok(`RQ in database ${db}: ${rq.workersRemoved} stale worker keys removed, ${rq.requeued.length} started jobs requeued, ${rq.failed.length} moved to failed`);
        }
      }
    });
    return { expectedCounts };
  }

  async close(): Promise<void> {}

  private async withClient<T>(body: (client: ReturnType<typeof commandClient>) => Promise<T>, db = 0): Promise<T> {
    const client = commandClient(this.connection, db);
    try {
      await client.connect();
      return await body(client);
    } catch (thrown) {
      const err = thrown instanceof Error && "exitCode" in thrown ? thrown : connectionFailure(client, thrown);
      if (err instanceof Error && !("exitCode" in err)) {
        throw new EngineError(`Redis at ${this.connection.host}:${this.connection.port} failed: ${err.message}`, { cause: err, hint: connectionHint(err) });
      }
      throw err;
    } finally {
      client.disconnect();
    }
  }
}
