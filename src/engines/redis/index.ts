/**
 * The Redis engine (issue "Redis engine"): backup streams a point-in-time RDB fetched over the replication
 * protocol (no SAVE, nothing written on the server with diskless sync); restore loads it live with pipelined
 * `RESTORE … ABSTTL` after verifying the whole file, then cleans RQ's state of workers that no longer exist.
 */
import { Readable } from "node:stream";
import { EngineError, IntegrityError } from "../../core/errors.ts";
import type { BackupContext, Engine, EngineInspection, EngineSection, RestoreContext, RestoreOutcome } from "../engine.ts";
import { commandClient, parseRedisUrl, type RedisConnectionOptions } from "./connection.ts";
import { liveRestore } from "./live-restore.ts";
import { fetchRdb } from "./replication.ts";
import { type StartedJobPolicy, recoverRq, rqCounts } from "./rq.ts";
import { keyspaceCounts, rdbVersionOfServer, serverVersion } from "./server.ts";

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
  /** What happens to jobs a dead worker had started, after a restore. @default "requeue" */
  rqStartedJobs?: StartedJobPolicy;
}

export function createRedisEngine(options: RedisEngineOptions): Engine {
  return new RedisEngine(options);
}

// --- internal ---

class RedisEngine implements Engine {
  readonly name = "redis" as const;
  private readonly options: RedisEngineOptions;
  private readonly connection: RedisConnectionOptions;

  constructor(options: RedisEngineOptions) {
    this.options = options;
    this.connection = parseRedisUrl(options.url, options.password);
    if (options.tlsRejectUnauthorized !== undefined) this.connection.tlsRejectUnauthorized = options.tlsRejectUnauthorized;
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
    const { version, counts, rq } = await this.withClient(async (client) => ({
      version: await serverVersion(client),
      counts: await keyspaceCounts(client, this.options.dbs),
      rq: await this.rqByDb(Object.keys(await keyspaceCounts(client, this.options.dbs))),
    }));
    const fetch = await fetchRdb(this.connection, ctx.signal);
    let rdbVersion = 0;
    const source = Readable.from(
      (async function* () {
        let head = Buffer.alloc(0);
        for await (const chunk of fetch.stream as AsyncIterable<Buffer>) {
          if (head.length < 9) {
            head = Buffer.concat([head, chunk.subarray(0, 9)]);
            const magic = head.subarray(0, 9).toString("latin1");
            if (/^REDIS\d{4}$/.test(magic)) rdbVersion = Number(magic.slice(5));
          }
          yield chunk;
        }
      })(),
      { objectMode: false },
    );
    const started = Date.now();
    const record = await ctx.writeArtifact({ name: RDB_ARTIFACT, compression: "zstd" }, source);
    ctx.events.ok(`Redis RDB fetched over ${fetch.protocol.toUpperCase()} (${fetch.framing}): ${record.rawBytes} bytes in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (rdbVersion === 0) throw new IntegrityError("The payload Redis sent does not start with an RDB header.");
    return {
      engine: "redis",
      version,
      artifacts: [record],
      counts,
      details: { rdbVersion, dbs: this.options.dbs ?? null, protocol: fetch.protocol, framing: fetch.framing, rq },
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
    const result = await liveRestore({
      connection: this.connection,
      open: () => ctx.readArtifact(RDB_ARTIFACT),
      purge: ctx.purge === true,
      signal: ctx.signal,
      events: ctx.events,
      ...(dbs === undefined ? {} : { dbs }),
    });
    const total = Object.values(result.restored).reduce((a, b) => a + b, 0);
    ctx.events.ok(`Redis: ${total} keys restored live${result.expired > 0 ? `, ${result.expired} skipped as expired` : ""}`);
    const inBackup = Object.entries(section.counts).filter(([k]) => k.startsWith("keys:db")).reduce((n, [, v]) => n + v, 0);
    if (dbs === undefined && total + result.expired !== inBackup) {
      throw new EngineError(`The RDB held ${total + result.expired} keys; the manifest recorded ${inBackup}.`, { hint: "Something wrote to Redis during the backup; take a new backup with the writers stopped." });
    }
    const expectedCounts: Record<string, number> = {};
    for (const key of Object.keys(result.restored)) {
      const db = Number(key.slice("keys:db".length));
      const loaded = await this.withClient((client) => client.dbsize(), db);
      if (loaded !== result.restored[key]) throw new EngineError(`Redis database ${db} holds ${loaded} keys after the restore; ${result.restored[key]} were restored into it.`);
      const rq = await this.withClient((client) => recoverRq(client, this.options.rqStartedJobs ?? "requeue"), db);
      // RQ recovery removes stale worker keys on purpose (and may recreate a queue's list): count them in.
      expectedCounts[key] = await this.withClient((client) => client.dbsize(), db);
      if (rq.requeued.length + rq.failed.length + rq.workersRemoved > 0) {
        ctx.events.ok(`RQ in database ${db}: ${rq.workersRemoved} stale worker keys removed, ${rq.requeued.length} started jobs requeued, ${rq.failed.length} moved to failed`);
      }
    }
    return { expectedCounts };
  }

  async close(): Promise<void> {}

  private async rqByDb(countKeys: string[]): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const key of countKeys) {
      const db = Number(key.slice("keys:db".length));
      const counts = await this.withClient(rqCounts, db);
      if (Object.keys(counts).length > 0) out[`db${db}`] = counts;
    }
    return out;
  }

  private async withClient<T>(body: (client: ReturnType<typeof commandClient>) => Promise<T>, db = 0): Promise<T> {
    const client = commandClient(this.connection, db);
    try {
      await client.connect();
      return await body(client);
    } catch (err) {
      if (err instanceof Error && !("exitCode" in err)) {
        throw new EngineError(`Redis at ${this.connection.host}:${this.connection.port} failed: ${err.message}`, { cause: err, hint: "Check --redis-url and the password." });
      }
      throw err;
    } finally {
      client.disconnect();
    }
  }
}
