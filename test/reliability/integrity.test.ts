/**
 * Integrity, through the command line: a real backup (a Redis and a Qdrant of the test's own, local-folder
 * target) is damaged in every way a bucket can be damaged — a flipped byte, a truncated or missing artifact, two
 * artifacts swapped, a manifest edited, crafted or of an unknown format. `verify` and `restore` both refuse each
 * one (exit 7) with a message naming what is wrong, and the stores are left exactly as they were. The undamaged
 * backup then restores, proving the refusals were not a restore that could not have worked anyway.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, readdir, rename, rm, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { sealedManifestText } from "../../src/manifest/seal.ts";
import { diffFingerprints, qdrantFingerprint, redisFingerprint } from "../fixtures/compare/index.ts";
import { qdrant } from "../fixtures/qdrant-data.ts";
import { startOwnRedis } from "../engines/redis/own-server.ts";
import { startQdrantTestServer } from "../qdrant-server/server.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";

type Damage = { what: string; says: RegExp; damage: (backup: string) => Promise<void> };

/** The fields of metadata.json the damages edit. */
type ManifestJson = { format_version: string; databases: { redis: { keys_count: number; checksum_sha256: string; file: string } } };

const editManifest = (edit: (m: ManifestJson) => void, reseal: boolean) => async (backup: string): Promise<void> => {
  const file = path.join(backup, "metadata.json");
  const m = JSON.parse(await readFile(file, "utf8")) as ManifestJson;
  edit(m);
  await writeFile(file, reseal ? sealedManifestText(m) : JSON.stringify(m, null, 2));
};

const DAMAGES: Damage[] = [
  {
    what: "a flipped byte in the Redis dump",
    says: /redis\/redis-dump\.rdb\.zst/,
    damage: async (b) => {
      const file = path.join(b, "redis/redis-dump.rdb.zst");
      const bytes = await readFile(file);
      bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
      await writeFile(file, bytes);
    },
  },
  { what: "a truncated snapshot", says: /qdrant\/alpha-snapshot\.tar/, damage: (b) => truncate(path.join(b, "qdrant/alpha-snapshot.tar"), 1000) },
  { what: "a missing snapshot", says: /qdrant\/beta-snapshot\.tar/, damage: (b) => rm(path.join(b, "qdrant/beta-snapshot.tar")) },
  {
    what: "two snapshots swapped",
    says: /qdrant\/(alpha|beta)-snapshot\.tar/,
    damage: async (b) => {
      const [a, c, t] = ["alpha", "beta", "tmp"].map((n) => path.join(b, `qdrant/${n}-snapshot.tar`)) as [string, string, string];
      await rename(a, t);
      await rename(c, a);
      await rename(t, c);
    },
  },
  { what: "an edited count", says: /metadata\.json was changed after it was written/, damage: editManifest((m) => (m.databases.redis.keys_count += 1), false) },
  { what: "an edited artifact hash", says: /metadata\.json was changed after it was written/, damage: editManifest((m) => (m.databases.redis.checksum_sha256 = "0".repeat(64)), false) },
  { what: "a crafted path out of the backup", says: /databases\.redis\.file.*\.\./, damage: editManifest((m) => (m.databases.redis.file = "../../other/redis/redis-dump.rdb.zst"), true) },
  { what: "an unknown format version", says: /format_version 9\.0, which this stackvault cannot read/, damage: editManifest((m) => (m.format_version = "9.0"), true) },
  { what: "a manifest that is not JSON", says: /metadata\.json is not valid JSON/, damage: (b) => writeFile(path.join(b, "metadata.json"), '{"format_version": "1.1", "backup_id": ') },
];

test("damaged backups are refused by verify and restore before any store is touched, naming what is wrong", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-integrity-"));
  const redisServer = await startOwnRedis();
  const qdrantServer = await startQdrantTestServer({ host: "127.0.0.1", port: 0, dataDir: path.join(dir, "qdrant") });
  const redis = new Redis(redisServer.url);
  try {
    for (let i = 0; i < 300; i++) await redis.set(`k${i}`, Buffer.from([i & 0xff, 0, 255, i >> 8]));
    await redis.zadd("board", 1, "a", 2, "b");
    for (const name of ["alpha", "beta"]) {
      await qdrant(qdrantServer, "PUT", `/collections/${name}`, { vectors: { size: 4, distance: "Cosine" } });
      await qdrant(qdrantServer, "PUT", `/collections/${name}/points?wait=true`, { points: Array.from({ length: 40 }, (_, id) => ({ id, vector: [id + 1, 1, 2, 3], payload: { name, id } })) });
    }
    const stores = ["--redis-url", redisServer.url, "--qdrant-url", qdrantServer.url, "--skip-neo4j"];
    const pristine = path.join(dir, "pristine");
    const backup = await runCli(["backup", "--services-controller", "none", "--stack", "s", "--target", `file://${pristine}`, ...stores], { cwd: dir });
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    const [backupId] = (await readdir(path.join(pristine, "stacks/s"))).filter((n) => /^\d{4}-/.test(n));
    assert.ok(backupId);

    // The stores now hold other data: a refused restore must leave it; a restore would replace it.
    await redis.set("after-backup", "must survive every refused restore");
    await qdrant(qdrantServer, "DELETE", "/collections/beta");
    const before = { redis: await redisFingerprint(redis), qdrant: await qdrantFingerprint(qdrantServer) };

    const problems: string[] = [];
    for (const [i, d] of DAMAGES.entries()) {
      const copy = path.join(dir, `case-${i}`);
      await cp(pristine, copy, { recursive: true });
      await d.damage(path.join(copy, "stacks/s", backupId));
      const args = ["--stack", "s", "--target", `file://${copy}`, ...stores];
      for (const command of [["verify"], ["restore", "--latest", "--yes", "--services-controller", "none"]]) {
        const r = await runCli([...command, ...args], { cwd: dir });
        const wrong = [
          r.code !== EXIT_CODES.integrity ? `exit ${String(r.code)}` : "",
          d.says.test(r.stderr) ? "" : "message",
          hasStackTrace(r.stderr) ? "stack trace" : "",
        ].filter(Boolean);
        if (wrong.length > 0) problems.push(`${d.what}, ${command[0]}: ${wrong.join(", ")} — ${r.stderr.trim().split("\n").slice(0, 2).join(" | ")}`);
      }
      const now = { redis: await redisFingerprint(redis), qdrant: await qdrantFingerprint(qdrantServer) };
      const changed = diffFingerprints(before, now);
      if (changed.length > 0) problems.push(`${d.what}: the stores changed: ${changed.slice(0, 3).join("; ")}`);
    }
    assert.deepEqual(problems, []);

    const restore = await runCli(["restore", "--latest", "--yes", "--services-controller", "none", "--stack", "s", "--target", `file://${pristine}`, ...stores], { cwd: dir });
    assert.equal(restore.code, 0, restore.stderr + restore.stdout);
    assert.equal(await redis.get("after-backup"), null, "the undamaged backup does replace the data");
    assert.equal(((await qdrant(qdrantServer, "POST", "/collections/beta/points/count", { exact: true })) as { count: number }).count, 40);
    assert.deepEqual(qdrantServer.violations, []);
  } finally {
    redis.disconnect();
    await redisServer.dispose();
    await qdrantServer.close();
  }
});
