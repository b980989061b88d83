/**
 * A small stack of a test's own, for the reliability tests that crash, fault or stop things: a private
 * redis-server (seeded with the reference dataset's key types in databases 0–2), an in-process Qdrant test
 * server (two collections), and a real RQ worker on that Redis (database 15) managed by the `command` service
 * controller through `stackvault.config.json` in the stack's working folder. Nothing here touches the
 * harness's shared stores (unless the worker is pointed at another Redis with `workerRedisUrl`), except with
 * `neo4j: true`: the harness's Neo4j (Community Edition has one database, shared by the test files, which run
 * one at a time) is wiped and loaded with a small seeded graph, like every test that uses it, and wiped again
 * at the end.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { execFile } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import neo4j, { type Driver } from "neo4j-driver";
import { diffFingerprints, neo4jFingerprint, qdrantFingerprint, redisFingerprint } from "../fixtures/compare/index.ts";
import { generateGraph, loadGraph } from "../fixtures/neo4j-data.ts";
import { wipeNeo4j } from "../fixtures/seed.ts";
import type { StackFingerprint } from "../fixtures/compare/index.ts";
import { qdrant } from "../fixtures/qdrant-data.ts";
import { loadRedis } from "../fixtures/redis-data.ts";
import { Rng } from "../fixtures/random.ts";
import { startOwnRedis, type OwnRedis } from "../engines/redis/own-server.ts";
import { startQdrantTestServer, type QdrantTestServer } from "../qdrant-server/server.ts";
import { serviceEnv } from "../harness/env.ts";

const run = promisify(execFile);

/** The databases holding data; the worker's bookkeeping lives in 15, outside them. */
export const DATA_DBS = [0, 1, 2];

export interface PrivateStack {
  /** Working folder of CLI runs (holds `stackvault.config.json`). */
  dir: string;
  redisServer: OwnRedis;
  qdrantServer: QdrantTestServer;
  redis: Redis;
  /** Store flags for the CLI (Neo4j skipped unless the stack has it). */
  storeArgs: string[];
  /** Environment a CLI run needs (the Neo4j password when the stack has Neo4j). */
  env: Record<string, string>;
  /**
   * The worker's stop command waits while the gate is closed (open at the start): a test holds a run at its
   * "stopping the worker" step this way.
   */
  gate: { close(): Promise<void>; open(): Promise<void> };
  /** True while the RQ worker process runs. */
  workerRunning(): Promise<boolean>;
  /** How many times a run started the `app` service (which is never running). */
  appStarts(): Promise<number>;
  /** The last lines the worker wrote (for a failure message). */
  workerLogTail(): Promise<string>;
  /** Content of the data databases and collections. */
  fingerprint(): Promise<StackFingerprint>;
  /** Replaces the stores' content with other data (what a restore must overwrite). */
  scramble(seed: number): Promise<void>;
  dispose(): Promise<void>;
}

/** Starts the stack and seeds it deterministically from `seed`. */
export async function startPrivateStack(
  seed: number,
  options: { redisScale?: number; points?: number; bigValueBytes?: number; workerRedisUrl?: string; neo4j?: boolean } = {},
): Promise<PrivateStack> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-reliab-"));
  const redisServer = await startOwnRedis();
  const qdrantServer = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(dir, "qdrant") });
  const redis = new Redis(redisServer.url);
  await loadRedis(redis, options.redisScale ?? 0.2, seed);
  // An incompressible value makes the Redis dump large enough for a multipart upload.
  if (options.bigValueBytes) await redis.set("big:blob", new Rng(seed).bytes(options.bigValueBytes));
  await loadCollections(qdrantServer, options.points ?? 300, seed);
  const graph = options.neo4j ? await harnessNeo4j(seed) : undefined;

  const pidFile = path.join(dir, "worker.pid");
  const gateFile = path.join(dir, "stop-gate");
  await writeFile(gateFile, "");
  const python = serviceEnv("RQ_PYTHON");
  const jobs = serviceEnv("RQ_JOBS_MODULE");
  // No fixed worker name: RQ registers a worker before it handles SIGTERM, so a stop that lands in that
  // window leaves a live-looking registration, and a later start under the same name would refuse to run.
  const worker = {
    start: ["sh", "-c", `nohup '${python}' -m rq.cli worker --url '${options.workerRedisUrl ?? `${redisServer.url}/15`}' --path '${jobs}' default >> '${dir}/worker.log' 2>&1 & echo $! > '${pidFile}'`],
    status: ["sh", "-c", `[ -f '${pidFile}' ] && kill -0 "$(cat '${pidFile}')" 2>/dev/null`],
    // RQ 2.12 can hang for good after its warm shutdown when stopped within a second or so of starting: the last
    // thing it logs is "unsubscribing from channel", and it then waits to join its pubsub thread (rq/rq#1613).
    // Its shutdown is over by then (nothing runs), so after 5 s in that state the stop ends the process.
    stop: ["sh", "-c", `while [ ! -f '${gateFile}' ]; do sleep 0.1; done; p="$(cat '${pidFile}')"; kill -TERM "$p"; n=0; ` +
      `while kill -0 "$p" 2>/dev/null; do sleep 0.1; n=$((n+1)); ` +
      `if [ $n -eq 50 ] && tail -n 1 '${dir}/worker.log' | grep -q 'unsubscribing from channel'; then kill -KILL "$p"; fi; done`],
  };
  // The app is not part of this stack: reported as not running, so restores leave it alone; a start is only
  // counted (a run must never start an app the operator left stopped).
  const appStarts = path.join(dir, "app-starts");
  const app = { start: ["sh", "-c", `echo start >> '${appStarts}'`], stop: ["true"], status: ["false"] };
  await writeFile(path.join(dir, "stackvault.config.json"), JSON.stringify({ services: { controller: "command", commands: { worker, app }, warmStopTimeout: 20 } }, null, 2));
  await run(worker.start[0] as string, worker.start.slice(1));
  const workerRunning = async () => run(worker.status[0] as string, worker.status.slice(1)).then(() => true, () => false);
  for (let i = 0; i < 100 && !(await workerRunning()); i++) await new Promise((r) => setTimeout(r, 50));

  return {
    dir,
    redisServer,
    qdrantServer,
    redis,
    gate: { close: () => rm(gateFile, { force: true }), open: () => writeFile(gateFile, "") },
    storeArgs: ["--redis-url", redisServer.url, "--redis-dbs", DATA_DBS.join(","), "--qdrant-url", qdrantServer.url, ...(graph?.args ?? ["--skip-neo4j"])],
    env: graph?.env ?? {},
    workerRunning,
    appStarts: async () => (await readFile(appStarts, "utf8").catch(() => "")).split("\n").filter(Boolean).length,
    workerLogTail: async () => (await readFile(path.join(dir, "worker.log"), "utf8").catch(() => "")).trim().split("\n").slice(-12).join(" | "),
    fingerprint: async () => ({
      redis: await redisFingerprint(redis, DATA_DBS),
      qdrant: await qdrantFingerprint(qdrantServer),
      ...(graph ? { neo4j: await neo4jFingerprint(graph.driver) } : {}),
    }),
    scramble: async (s) => {
      await loadRedis(redis, 0.05, s);
      await loadCollections(qdrantServer, 20, s);
      if (graph) {
        await wipeNeo4j(graph.driver);
        await loadGraph(graph.driver, generateGraph(0.002, s));
      }
    },
    dispose: async () => {
      await writeFile(gateFile, "").catch(() => undefined);
      if (await workerRunning()) await run(worker.stop[0] as string, worker.stop.slice(1)).catch(() => undefined);
      redis.disconnect();
      await redisServer.dispose();
      await qdrantServer.close().catch(() => undefined);
      if (graph) await wipeNeo4j(graph.driver).finally(() => graph.driver.close());
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Differences between two fingerprints, empty when equal. */
export const differences = (a: StackFingerprint, b: StackFingerprint): string[] => diffFingerprints(a, b);

// --- internal ---

/** The harness's Neo4j, wiped and loaded with a small graph seeded by `seed`, and how the CLI reaches it. */
async function harnessNeo4j(seed: number): Promise<{ driver: Driver; args: string[]; env: Record<string, string> }> {
  const [uri, user, password] = [serviceEnv("NEO4J_URI"), serviceEnv("NEO4J_USER"), serviceEnv("NEO4J_PASSWORD")];
  const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), { logging: { level: "error", logger: () => {} } });
  await wipeNeo4j(driver);
  await loadGraph(driver, generateGraph(0.02, seed));
  return { driver, args: ["--neo4j-uri", uri, "--neo4j-user", user], env: { NEO4J_PASSWORD: password } };
}

async function loadCollections(server: QdrantTestServer, points: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  for (const [name, size] of [["notes", 8], ["answers", 16]] as const) {
    await qdrant(server, "DELETE", `/collections/${name}`, undefined, [200, 404]);
    await qdrant(server, "PUT", `/collections/${name}`, { vectors: { size, distance: "Cosine" } });
    for (let start = 0; start < points; start += 200) {
      const batch = Array.from({ length: Math.min(200, points - start) }, (_, i) => ({
        id: start + i,
        vector: Array.from({ length: size }, () => rng.float() + 0.01),
        payload: { name, n: start + i, text: `seed ${seed} point ${start + i}` },
      }));
      await qdrant(server, "PUT", `/collections/${name}/points?wait=true`, { points: batch });
    }
  }
}
