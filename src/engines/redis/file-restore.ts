/**
 * File restore: replaces Redis's RDB on its host and restarts it, for exact fidelity including what a
 * `RESTORE` cannot carry (server state, module types). Order, so that Redis is down as briefly as possible and
 * never starts on a half-written file:
 *
 * 1. verify the whole artifact (CRC-64, format) and read `CONFIG GET dir / dbfilename / appendonly`;
 * 2. write it to a temporary file in the data directory, check its size and sha256 there, give it the owner
 *    and mode of the current RDB (or of the directory when there is none yet);
 * 3. stop Redis through the service controller (a shutdown may save over the old file — it is replaced next);
 * 4. rename the temporary file over the RDB (atomic, same directory);
 * 5. start Redis, wait until it answers `PING` and `INFO persistence` says `loading:0`;
 * 6. compare the keys per database with what the RDB holds (less the keys that expired meanwhile).
 *
 * A server with `appendonly yes` is refused before anything changes: it would load its AOF at start and
 * ignore the restored RDB.
 */
import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import type { Redis } from "ioredis";
import { EngineError, IntegrityError } from "../../core/errors.ts";
import type { Emitter } from "../../core/events.ts";
import type { Executor } from "../../exec/executor.ts";
import { commandClient, type RedisConnectionOptions } from "./connection.ts";
import { countKey, keyspaceCounts, rdbVersionOfServer, serverVersion } from "./server.ts";
import { liveKeysAt, verifyRdb } from "./verify.ts";

/** What the file mode needs on the host that runs Redis. */
export interface RedisHostAccess {
  /** Runs programs where Redis's data directory is (this machine, or the host over SSH). */
  executor: Executor;
  /**
   * Stops the Redis service gracefully and resolves once it is stopped, with the function that starts it
   * again (a service controller's `stop(["redis"])`).
   */
  stopRedis: (signal: AbortSignal) => Promise<() => Promise<void>>;
  /**
   * Redis's data directory as the executor sees it, when it differs from what `CONFIG GET dir` reports (a
   * container's volume seen from the host). @default the server's `dir`
   */
  dataDir?: string;
  /** How long Redis may take to start and load the file. @default 300000 */
  startTimeoutMs?: number;
}

export interface FileRestoreOptions {
  connection: RedisConnectionOptions;
  host: RedisHostAccess;
  /** Re-opens the RDB artifact from the start (called twice). */
  open: () => Promise<Readable>;
  /** The databases the restore is asked for; the file must hold no other (it replaces the whole dataset). */
  dbs?: readonly number[];
  /** Replace a dataset that holds keys; when false, a Redis holding keys is refused. */
  purge: boolean;
  signal: AbortSignal;
  events: Emitter;
}

export interface FileRestoreResult {
  rdbVersion: number;
  /** Keys loaded per database (`keys:db<n>`), as Redis reports them after the start. */
  restored: Record<string, number>;
  /** Keys of the file that were expired when Redis loaded it, per database. */
  expiredByDb: Record<string, number>;
  /** The RDB's path on the host. */
  path: string;
}

/** Replaces the RDB on the host and restarts Redis. @throws IntegrityError, EngineError (nothing changed before the stop). */
export async function fileRestore(options: FileRestoreOptions): Promise<FileRestoreResult> {
  const { signal, host, events } = options;
  const { executor } = host;
  const admin = commandClient(options.connection, 0);
  let settings: { dir: string; dbfilename: string; appendonly: string };
  let serverRdb: number;
  let version: string;
  try {
    version = await serverVersion(admin);
    serverRdb = rdbVersionOfServer(version);
    settings = await readSettings(admin);
    if (settings.appendonly === "yes") {
      throw new EngineError("Redis runs with appendonly yes: at start it loads its AOF and would ignore a restored RDB.", {
        hint: "Use --redis-restore-mode live, or set appendonly no for the restore (CONFIG SET appendonly no, then CONFIG REWRITE), restore, and switch it back on (Redis rewrites the AOF from the restored data).",
      });
    }
    if (!options.purge) {
      const held = Object.values(await keyspaceCounts(admin)).reduce((a, b) => a + b, 0);
      if (held > 0) throw new EngineError(`Redis holds ${held} keys; refusing to replace its dataset.`, { hint: "Pass --purge to replace the whole dataset." });
    }
  } finally {
    admin.disconnect();
  }
  const verified = await verifyRdb(await options.open(), signal);
  if (verified.rdbVersion > serverRdb) {
    throw new EngineError(`The backup is an RDB of format ${verified.rdbVersion}, newer than this Redis ${version} reads (format ${serverRdb}).`, { hint: "Restore into a Redis at least as new as the one backed up." });
  }
  if (options.dbs !== undefined) {
    const others = [...verified.dbs.keys()].filter((db) => !options.dbs?.includes(db));
    if (others.length > 0) {
      throw new EngineError(`The file mode replaces the whole dataset, and the RDB also holds database${others.length > 1 ? "s" : ""} ${others.join(", ")} outside the selection (--redis-dbs).`, {
        hint: "Use --redis-restore-mode live to restore only the selected databases.",
      });
    }
  }

  const dir = (host.dataDir ?? settings.dir).replace(/\/+$/, "") || "/";
  const path = `${dir}/${settings.dbfilename}`;
  const temporary = `${dir}/.${settings.dbfilename}.stackvault-${process.pid}-${Date.now()}`;
  if (!(await succeeds(executor, "test", ["-d", dir], signal))) {
    throw new EngineError(`Redis's data directory ${dir} does not exist on ${executor.location}.`, {
      hint: "When Redis runs in a container, pass the host path of its data volume with --redis-data-dir.",
    });
  }
  let renamed = false;
  try {
    const written = await writeFile(executor, temporary, await options.open(), signal);
    const size = (await output(executor, "stat", ["-c", "%s", temporary], signal)).trim();
    const sum = (await output(executor, "sha256sum", [temporary], signal)).split(/\s/)[0] ?? "";
    if (Number(size) !== written.bytes || sum !== written.sha256) {
      throw new IntegrityError(`The RDB written to ${temporary} on ${executor.location} is not what was sent (${size} bytes, sha256 ${sum.slice(0, 12)}…; sent ${written.bytes} bytes, ${written.sha256.slice(0, 12)}…).`);
    }
    const reference = (await succeeds(executor, "test", ["-e", path], signal)) ? path : dir;
    const [owner = "", mode = ""] = (await output(executor, "stat", ["-c", "%u:%g %a", reference], signal)).trim().split(" ");
    await output(executor, "chown", [owner, temporary], signal);
    await output(executor, "chmod", [reference === path ? mode : "600", temporary], signal);

    events.ok(`Redis RDB staged at ${temporary} (${written.bytes} bytes, owner ${owner}); stopping Redis`);
    const start = await host.stopRedis(signal);
    try {
      await output(executor, "mv", ["-f", temporary, path], signal);
      renamed = true;
    } finally {
      await start();
    }
  } finally {
    if (!renamed) await succeeds(executor, "rm", ["-f", temporary], new AbortController().signal).catch(() => false);
  }
  await waitLoaded(options.connection, host.startTimeoutMs ?? 300_000, signal);
  const loadedAt = Date.now();

  const check = commandClient(options.connection, 0);
  try {
    const now = await keyspaceCounts(check);
    const restored: Record<string, number> = {};
    const expiredByDb: Record<string, number> = {};
    for (const [db, content] of verified.dbs) {
      const name = countKey(db);
      const loaded = now[name] ?? 0;
      // Keys whose expiry falls between the verification and the check may or may not have been loaded.
      const fewest = liveKeysAt(content, loadedAt);
      if (loaded < fewest || loaded > content.keys) {
        throw new EngineError(`Redis database ${db} holds ${loaded} keys after the start; the restored RDB holds ${content.keys} (${fewest} not yet expired).`, {
          hint: `Check that Redis reads ${path} (its dir and dbfilename) and nothing wrote to it after the start.`,
        });
      }
      restored[name] = loaded;
      expiredByDb[name] = content.keys - loaded;
    }
    return { rdbVersion: verified.rdbVersion, restored, expiredByDb, path };
  } finally {
    check.disconnect();
  }
}

// --- internal ---

async function readSettings(admin: Redis): Promise<{ dir: string; dbfilename: string; appendonly: string }> {
  const get = async (name: string): Promise<string> => {
    const reply = (await admin.config("GET", name)) as string[];
    const value = reply[1];
    if (value === undefined) throw new EngineError(`Redis did not report its '${name}' setting (CONFIG GET ${name}).`, { hint: "The file mode needs the CONFIG command; use --redis-restore-mode live where it is disabled." });
    return value;
  };
  const dbfilename = await get("dbfilename");
  if (dbfilename.includes("/") || dbfilename === "" || dbfilename.startsWith(".")) throw new EngineError(`Redis reports an unusable dbfilename '${dbfilename}'.`);
  return { dir: await get("dir"), dbfilename, appendonly: await get("appendonly") };
}

/** Streams `source` into `path` on the host (`dd`, no shell), hashing what was sent. */
async function writeFile(executor: Executor, path: string, source: Readable, signal: AbortSignal): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  source.on("error", (err) => tap.destroy(err));
  source.pipe(tap);
  await executor.run("dd", [`of=${path}`, "bs=1M", "conv=fsync", "status=none"], { stdin: tap, signal });
  return { bytes, sha256: hash.digest("hex") };
}

/** Runs a program on the host and returns its output. @throws ExecError when it fails. */
async function output(executor: Executor, program: string, args: string[], signal: AbortSignal): Promise<string> {
  return (await executor.run(program, args, { signal })).stdout;
}

/** Runs a program on the host; true when it exits 0. */
async function succeeds(executor: Executor, program: string, args: string[], signal: AbortSignal): Promise<boolean> {
  return (await executor.run(program, args, { signal, check: false })).exitCode === 0;
}

/** Polls until Redis answers PING and has finished loading. @throws EngineError after `timeoutMs`. */
async function waitLoaded(connection: RedisConnectionOptions, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    const client = commandClient(connection, 0);
    try {
      await client.connect();
      if ((await client.ping()) === "PONG") {
        const loading = (await client.info("persistence")).match(/^loading:(\d)/m)?.[1];
        if (loading === "0") return;
        last = "still loading";
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    } finally {
      client.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new EngineError(`Redis did not come back with the restored RDB within ${Math.round(timeoutMs / 1000)} s (${last}).`, { hint: "Check the Redis log: it may have refused the file." });
}
