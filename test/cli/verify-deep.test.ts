/**
 * `stackvault verify --deep` through the command line: a backup of a Redis and a Qdrant of the test's own is
 * restored into scratch servers, whose content then equals the source's; the scratch stores must be given,
 * must not be the stack's own, and are only replaced with --yes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { qdrant } from "../fixtures/qdrant-data.ts";
import { startOwnRedis } from "../engines/redis/own-server.ts";
import { startQdrantTestServer } from "../qdrant-server/server.ts";
import { hasStackTrace, runCli } from "./run-cli.ts";

test("verify --deep restores into scratch stores and proves the counts; scratch stores are checked first", async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), "sv-deep-"));
  const source = await startOwnRedis();
  const scratch = await startOwnRedis();
  const sourceQdrant = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(cwd, "q-source") });
  const scratchQdrant = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(cwd, "q-scratch") });
  const src = new Redis(source.url);
  const dst = new Redis(scratch.url);
  try {
    for (let i = 0; i < 200; i++) await src.set(`key:${i}`, `value ${i} ✓`);
    await src.select(3);
    await src.hset("profile", { name: "Zoé", visits: "12" });
    await qdrant(sourceQdrant, "PUT", "/collections/notes", { vectors: { size: 4, distance: "Dot" } });
    await qdrant(sourceQdrant, "PUT", "/collections/notes/points?wait=true", { points: [1, 2, 3].map((id) => ({ id, vector: [id, 0, 1, 2], payload: { id } })) });
    await dst.set("leftover", "scratch data that the restore replaces");

    const common = ["--stack", "deep", "--target", `file://${cwd}/backups`, "--redis-url", source.url, "--qdrant-url", sourceQdrant.url, "--skip-neo4j"];
    const backup = await runCli(["backup", ...common, "--services-controller", "none"], { cwd });
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);

    const none = await runCli(["verify", ...common, "--deep"], { cwd });
    assert.equal(none.code, EXIT_CODES.usage, none.stderr);
    assert.match(none.stderr, /--deep needs at least one scratch store/);
    const own = await runCli(["verify", ...common, "--deep", "--scratch-redis-url", source.url.replace("127.0.0.1", "localhost")], { cwd });
    assert.equal(own.code, EXIT_CODES.usage, own.stderr);
    assert.match(own.stderr, /is the stack's own redis/);
    const scratchArgs = ["--deep", "--scratch-redis-url", scratch.url, "--scratch-qdrant-url", scratchQdrant.url];
    const unconfirmed = await runCli(["verify", ...common, ...scratchArgs], { cwd });
    assert.equal(unconfirmed.code, EXIT_CODES.usage, "without a terminal, --yes is required before scratch data is replaced");
    assert.equal(await dst.get("leftover"), "scratch data that the restore replaces");

    const deep = await runCli(["verify", ...common, ...scratchArgs, "--yes"], { cwd });
    assert.equal(deep.code, 0, deep.stderr + deep.stdout);
    assert.ok(!hasStackTrace(deep.stderr));
    assert.match(deep.stdout, /restored into scratch qdrant, redis in [\d.]+ s; counts match the manifest/);
    assert.equal(await dst.get("leftover"), null);
    assert.equal(await dst.get("key:199"), "value 199 ✓");
    await dst.select(3);
    assert.deepEqual(await dst.hgetall("profile"), { name: "Zoé", visits: "12" });
    const points = (await qdrant(scratchQdrant, "POST", "/collections/notes/points/scroll", { limit: 10, with_payload: true, with_vector: true })) as { points: { id: number; payload: unknown }[] };
    assert.deepEqual(points.points.map((p) => [p.id, p.payload]), [[1, { id: 1 }], [2, { id: 2 }], [3, { id: 3 }]]);
    const records = await runCli(["list", "--stack", "deep", "--target", `file://${cwd}/backups`, "--json"], { cwd });
    assert.equal(records.code, 0, records.stderr);
    assert.deepEqual([...sourceQdrant.violations, ...scratchQdrant.violations], []);
  } finally {
    src.disconnect();
    dst.disconnect();
    await source.dispose();
    await scratch.dispose();
    await sourceQdrant.close();
    await scratchQdrant.close();
  }
});
