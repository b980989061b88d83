/**
 * End to end through the command line against the real Neo4j and Redis of the harness and the Qdrant test
 * server: seed a small reference stack (graph, collections, Redis keys, RQ jobs in every state), `stackvault
 * backup` to a local folder, wipe the stores, `stackvault restore --latest --yes`, and compare every node,
 * relationship, schema item, point and key with what was there before. The only differences allowed are RQ's: a job whose worker is gone goes back to its queue.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import neo4j from "neo4j-driver";
import { Redis } from "ioredis";
import { diffFingerprints, neo4jFingerprint, qdrantFingerprint, redisFingerprint } from "../fixtures/compare/index.ts";
import { qdrant } from "../fixtures/qdrant-data.ts";
import { generateGraph, loadGraph } from "../fixtures/neo4j-data.ts";
import { seedStack, wipeNeo4j } from "../fixtures/seed.ts";
import { serviceEnv } from "../harness/env.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";

const DBS = [0, 1, 2];

test("backup, wipe, restore through the CLI gives back the same graph, points and Redis keys", async () => {
  const uri = serviceEnv("NEO4J_URI");
  const password = serviceEnv("NEO4J_PASSWORD");
  const driver = neo4j.driver(uri, neo4j.auth.basic(serviceEnv("NEO4J_USER"), password));
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-e2e-"));
  const env = { NEO4J_PASSWORD: password, HOME: dir };
  const redisUrl = serviceEnv("REDIS_URL");
  const redis = new Redis(redisUrl);
  const qdrantConn = { url: serviceEnv("QDRANT_URL") };
  const common = ["--stack", "e2e-neo4j", "--target", `file://${dir}/backups`, "--neo4j-uri", uri, "--redis-url", redisUrl, "--qdrant-url", qdrantConn.url, "--services-controller", "none"];
  try {
    await wipeNeo4j(driver);
    await loadGraph(driver, generateGraph(0.02, 7));
    await seedStack({ redis: { url: redisUrl }, qdrant: qdrantConn }, { scale: 0.1, seed: 7, rq: { python: serviceEnv("RQ_PYTHON"), jobsDir: serviceEnv("RQ_JOBS_MODULE") } });
    const before = await neo4jFingerprint(driver);
    const redisBefore = await redisFingerprint(redis, DBS);
    const qdrantBefore = await qdrantFingerprint(qdrantConn);

    const backup = await runCli(["backup", ...common], { cwd: dir, env });
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));
    assert.ok(!hasStackTrace(backup.stderr));
    const ids = await readdir(path.join(dir, "backups/stacks/e2e-neo4j"));
    assert.ok(ids.includes("latest"));

    const refused = await runCli(["restore", "--latest", ...common], { cwd: dir, env });
    assert.equal(refused.code, 2, "without a terminal, --yes is required");

    await wipeNeo4j(driver);
    await redis.flushall();
    for (const c of ((await qdrant(qdrantConn, "GET", "/collections")) as { collections: { name: string }[] }).collections) await qdrant(qdrantConn, "DELETE", `/collections/${c.name}`);
    const restore = await runCli(["restore", "--latest", "--yes", ...common], { cwd: dir, env });
    assert.equal(restore.code, 0, restore.stderr + restore.stdout);
    for (let n = 1; n <= 9; n++) assert.match(restore.stdout, new RegExp(`\\[${n}/9\\]`));

    const after = await neo4jFingerprint(driver);
    assert.deepEqual(diffFingerprints({ neo4j: before }, { neo4j: after }), []);
    assert.ok(before.counts.nodes! > 100, "the graph is not trivially small");
    assert.deepEqual(diffFingerprints({ qdrant: qdrantBefore }, { qdrant: await qdrantFingerprint(qdrantConn) }), []);
    assert.ok(qdrantBefore.counts["points:knowbase"]! > 100, "the collections are not trivially small");

    const redisAfter = await redisFingerprint(redis, DBS);
    const rqKey = /^redis: .*\bdb0 \w+ 'rq:|^redis: keys:db0 expected/;
    const diff = diffFingerprints({ redis: redisBefore }, { redis: redisAfter });
    assert.deepEqual(diff.filter((d) => !rqKey.test(d)), [], "every key outside RQ's bookkeeping is identical, with its expiry");
    await redis.select(0);
    assert.deepEqual(await redis.lrange("rq:queue:ingestion", 0, -1), ["seed-started-0", "seed-queued-0"], "the job of the dead worker is queued again, first");
    assert.equal(await redis.zcard("rq:wip:ingestion"), 0);
    assert.deepEqual(await redis.keys("rq:worker*"), [], "no stale worker keys");
    assert.equal(await redis.hget("rq:job:seed-started-0", "status"), "queued");
    assert.equal(await redis.zcard("rq:scheduled:reindex"), 1);
    assert.equal(await redis.zcard("rq:failed:seed-scratch"), 1);
  } finally {
    await driver.close();
    redis.disconnect();
  }
});
