/**
 * Remote runs end to end over the harness's real sshd (loopback: the "host" is this machine, its Node the
 * pinned one), with all three stores: `backup --host ssh://…` to the local-folder target and to the S3 target
 * (versitygw), `list` and the manifest checked from here, `restore --host ssh://… --from-stack … --latest` into
 * another stack, whose stores held other data, and every node, relationship, schema item, point and key
 * compared with what was backed up (the seed's Test 1 and Test 3). Neo4j and Qdrant are the harness's
 * (graph-and-vectors.ts: wiped and loaded by this file); the Redis servers are private to this file, with a
 * password, so that the secrets' path can be checked: never in any process's argv, nor in the host-side
 * process's environment.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";
import type { CliResult } from "../cli/run-cli.ts";
import { deletePrefix, ensureBucket, s3Coordinates } from "../targets/s3-env.ts";
import { hostFlags, seed, snapshot, startRedis } from "./fixture.ts";
import type { PrivateRedis } from "./fixture.ts";
import { COLLECTIONS, assertGraphAndVectors, checkLocalManifest, graphAndVectorEnv, graphAndVectorFingerprint, graphAndVectorFlags, loadGraphAndVectors } from "./graph-and-vectors.ts";
import { diffFingerprints } from "../fixtures/compare/index.ts";
import type { StackFingerprint } from "../fixtures/compare/index.ts";
import { serviceEnv } from "../harness/env.ts";

const password = `pw-${randomBytes(12).toString("hex")}`;
let dir: string;
let cacheDir: string;
let source: PrivateRedis;
let destination: PrivateRedis;
/** Graph and collections as the local-folder backups took them. */
let backedUp: StackFingerprint;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-remote-"));
  cacheDir = path.join(dir, "host-cache");
  [source, destination] = await Promise.all([startRedis(password), startRedis(password)]);
  await seed(source, "src");
  await loadGraphAndVectors(11);
  backedUp = await graphAndVectorFingerprint();
});

after(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** Flags for a `command` run of `stack`: the harness's Neo4j and Qdrant, and `redis`. */
function stackFlags(stack: string, redis: PrivateRedis, target: string, command: "backup" | "restore" = "backup"): string[] {
  return ["--stack", stack, "--target", target, ...graphAndVectorFlags(command), "--redis-url", redis.url, "--services-controller", "none"];
}

function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { cwd: dir, env: { HOME: dir, REDIS_PASSWORD: password, ...graphAndVectorEnv(), ...extraEnv } });
}

test("backup over SSH to a local folder: the seed's [n/7] log, the bundle shipped once, list shows the backup, the secret in no argv", async () => {
  const target = `file://${dir}/backups`;
  const secrets = [password, serviceEnv("NEO4J_PASSWORD")];
  const watch = watchProcesses(secrets);
  const first = await cli(["backup", ...stackFlags("remote-src", source, target), ...hostFlags(cacheDir)]);
  const seen = watch.stop();
  assert.equal(first.code, 0, first.stderr + first.stdout);
  for (let n = 1; n <= 7; n++) assert.match(first.stdout, new RegExp(`\\[${n}/7\\]`));
  assert.match(first.stdout, /Uploaded the stackvault agent \([\d.]+ MiB, sha256 [0-9a-f]{12}\) to ssh:\/\//);
  assert.match(first.stdout, /✓ neo4j: .* stored \(\d+ nodes, \d+ relationships\)/);
  for (const name of COLLECTIONS) assert.match(first.stdout, new RegExp(`✓ Collection '${name}': \\d+ points`));
  assert.match(first.stdout, /✓ qdrant: .* stored \(3 collections, \d+ points\)/);
  assert.match(first.stdout, /✓ redis: .* stored \(\d+ keys\)/);
  assert.match(first.stdout, /Backup \S+ completed/);
  for (const secret of secrets) assert.ok(!first.stdout.includes(secret) && !first.stderr.includes(secret), "the secrets are never printed");

  // The secrets went through the job on standard input only.
  const agents = seen.filter((p) => p.cmdline.includes("agent") && p.cmdline.includes("run"));
  assert.ok(agents.length > 0, `the host-side run was observed (processes seen: ${seen.length})`);
  assert.deepEqual(seen.filter((p) => secrets.some((s) => p.cmdline.includes(s))).map((p) => p.cmdline), [], "no process had a secret in its argv");
  assert.deepEqual(agents.filter((p) => secrets.some((s) => p.environ.includes(s))).map((p) => p.pid), [], "nor in the host-side process's environment");
  assert.ok(agents.some((p) => /agent-[0-9a-f]{64}\.mjs/.test(p.cmdline)), agents.map((p) => p.cmdline).join("\n"));

  const bundles = await readdir(cacheDir);
  assert.equal(bundles.length, 1, bundles.join(", "));
  const bundle = path.join(cacheDir, bundles[0] as string);
  const inode = (await stat(bundle)).ino;

  const second = await cli(["backup", ...stackFlags("remote-src", source, target), ...hostFlags(cacheDir)]);
  assert.equal(second.code, 0, second.stderr + second.stdout);
  assert.match(second.stdout, /The stackvault agent \(sha256 [0-9a-f]{12}\) is already on ssh:\/\//);
  assert.doesNotMatch(second.stdout, /Uploaded/);
  assert.equal((await stat(bundle)).ino, inode, "the identical bundle was not uploaded again");

  const list = await cli(["list", "--json", "--stack", "remote-src", "--target", target]);
  assert.equal(list.code, 0, list.stderr);
  const backups = (JSON.parse(list.stdout) as { backups: { backupId: string; isLatest: boolean; status: string }[] }).backups;
  assert.equal(backups.length, 2);
  assert.equal(backups.filter((b) => b.isLatest).length, 1);
  const latestId = second.stdout.match(/Backup (\S+) completed/)?.[1];
  assert.equal(backups.find((b) => b.isLatest)?.backupId, latestId);

  // The seed's Test 1: metadata.json is valid, with every store's artifact stored under its checksum.
  const manifest = await checkLocalManifest(path.join(dir, "backups"), "remote-src", latestId ?? "?");
  assert.equal(manifest.databases.neo4j?.node_count, backedUp.neo4j?.counts.nodes);
  assert.equal(manifest.databases.qdrant?.collections.knowbase?.points_count, backedUp.qdrant?.counts["points:knowbase"]);
  assert.equal(manifest.databases.redis?.keys_count, (await snapshot(source)).size);
  await assertGraphAndVectors(backedUp, "a backup only reads the stores");
});

test("restore over SSH into another stack from --from-stack … --latest: refused without --yes, then the same graph, points and keys", async () => {
  const target = `file://${dir}/backups`;
  // The other stack's stores hold other data, which the restore must replace entirely.
  await loadGraphAndVectors(12, 0.005);
  const other = await graphAndVectorFingerprint();
  const marker = destination.client(0);
  await marker.flushall();
  await marker.set("marker", "untouched");
  const refused = await cli(["restore", "--latest", "--from-stack", "remote-src", ...stackFlags("remote-dst", destination, target, "restore"), ...hostFlags(cacheDir)]);
  assert.equal(refused.code, 2, refused.stderr + refused.stdout);
  assert.match(refused.stderr, /confirmation needed, and there is no terminal to ask on/);
  assert.match(refused.stderr, /hint: Add --yes/);
  assert.equal(await marker.get("marker"), "untouched", "nothing changed without confirmation");
  marker.disconnect();
  assert.deepEqual(diffFingerprints(other, await graphAndVectorFingerprint()), [], "nor in the graph or the collections");

  const restore = await cli(["restore", "--latest", "--yes", "--from-stack", "remote-src", ...stackFlags("remote-dst", destination, target, "restore"), ...hostFlags(cacheDir)]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  for (let n = 1; n <= 9; n++) assert.match(restore.stdout, new RegExp(`\\[${n}/9\\]`));
  assert.match(restore.stdout, /Restored remote-src\/\S+ into 'remote-dst'/);
  assert.deepEqual(await snapshot(destination), await snapshot(source));
  assert.ok((await snapshot(source)).size >= 21, "the dataset is not trivially small");
  await assertGraphAndVectors(backedUp, "the graph and the collections are the ones backed up");
});

test("backup over SSH to the S3 target, list from here, restore over SSH from it", async () => {
  const c = s3Coordinates("S3");
  await ensureBucket(c);
  const prefix = `remote-${randomBytes(3).toString("hex")}`;
  const s3 = ["--s3-endpoint", c.endpoint, "--region", "us-east-1"];
  const aws = { AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_EC2_METADATA_DISABLED: "true" };
  const target = `s3://${c.bucket}/${prefix}`;
  try {
    await seed(source, "s3");
    await loadGraphAndVectors(13);
    const expected = await graphAndVectorFingerprint();
    const backup = await cli(["backup", ...stackFlags("remote-s3", source, target), ...s3, ...hostFlags(cacheDir)], aws);
    assert.equal(backup.code, 0, backup.stderr + backup.stdout);
    for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));
    assert.match(backup.stdout, new RegExp(`Location: s3://${c.bucket}/${prefix}/stacks/remote-s3/`));
    assert.ok(!backup.stdout.includes(c.secretAccessKey) && !backup.stderr.includes(c.secretAccessKey));

    const list = await cli(["list", "--json", "--stack", "remote-s3", "--target", target, ...s3], aws);
    assert.equal(list.code, 0, list.stderr);
    const backups = (JSON.parse(list.stdout) as { backups: { backupId: string; isLatest: boolean }[] }).backups;
    assert.deepEqual(backups.map((b) => b.isLatest), [true]);

    const wipe = destination.client(0);
    await wipe.flushall();
    wipe.disconnect();
    await loadGraphAndVectors(14, 0.005);
    const restore = await cli(["restore", "--latest", "--yes", "--from-stack", "remote-s3", ...stackFlags("remote-s3-copy", destination, target, "restore"), ...s3, ...hostFlags(cacheDir)], aws);
    assert.equal(restore.code, 0, restore.stderr + restore.stdout);
    assert.deepEqual(await snapshot(destination), await snapshot(source));
    await assertGraphAndVectors(expected, "the graph and the collections are the ones backed up to S3");
  } finally {
    await deletePrefix(c, `${prefix}/`);
  }
});

test("errors of the host-side run come back typed: code, exit code, message and hint", async () => {
  const target = `file://${dir}/backups`;
  const missing = await cli(["--json", "restore", "--backup-id", "2020-01-01T00-00-00Z", "--yes", "--from-stack", "remote-src", ...stackFlags("remote-dst", destination, target, "restore"), ...hostFlags(cacheDir)]);
  assert.equal(missing.code, 5, missing.stderr + missing.stdout);
  const lines = missing.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  const last = lines[lines.length - 1];
  assert.equal(last?.type, "error");
  assert.equal(last?.code, "NOT_FOUND");
  assert.equal(last?.exitCode, 5);
  assert.match(String(last?.message), /2020-01-01T00-00-00Z/);
  assert.ok(lines.slice(0, -1).every((l) => typeof l.type === "string" && typeof l.time === "string"), "every other line is an event");
  assert.ok(!hasStackTrace(missing.stderr), missing.stderr);
});

test("an unknown host key is refused before anything runs on the host", async () => {
  const knownHosts = path.join(dir, "empty_known_hosts");
  await writeFile(knownHosts, "");
  const fresh = path.join(dir, "never-created");
  const r = await cli(["backup", ...stackFlags("remote-src", source, `file://${dir}/backups`), ...hostFlags(fresh, knownHosts)]);
  assert.equal(r.code, 9, r.stderr + r.stdout);
  assert.match(r.stderr, /host key of ssh:\/\/.* is unknown/);
  assert.match(r.stderr, /--accept-new-host-key/);
  assert.equal(await readFile(knownHosts, "utf8"), "", "nothing was pinned");
  await assert.rejects(stat(fresh), { code: "ENOENT" }, "nothing was shipped");
});

// --- internal ---

interface SeenProcess {
  pid: string;
  cmdline: string;
  environ: string;
}

/** Polls /proc while a run goes on: every process's argv (and environment, for the host-side run). */
function watchProcesses(needles: readonly string[]): { stop(): SeenProcess[] } {
  const seen = new Map<string, SeenProcess>();
  let running = true;
  const poll = async (): Promise<void> => {
    while (running) {
      for (const pid of await readdir("/proc").catch(() => [] as string[])) {
        if (!/^\d+$/.test(pid)) continue;
        const cmdline = (await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0))).toString("utf8").split("\0").join(" ");
        if (cmdline === "") continue;
        const interesting = needles.some((n) => cmdline.includes(n)) || (cmdline.includes("agent") && cmdline.includes(" run"));
        if (!interesting) continue;
        const environ = (await readFile(`/proc/${pid}/environ`).catch(() => Buffer.alloc(0))).toString("utf8");
        seen.set(`${pid}:${cmdline}`, { pid, cmdline, environ });
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  void poll();
  return {
    stop: () => {
      running = false;
      return [...seen.values()];
    },
  };
}
