/**
 * Direct mode against a remote host: `backup --direct --host ssh://…` and `restore --direct --host ssh://…`
 * run in this process and reach the host's Neo4j (Bolt), Qdrant (HTTP) and Redis, on its loopback, through SSH
 * tunnels over the harness's sshd; restored into another stack whose stores held other data, content
 * compared. Neo4j and Qdrant are the harness's (graph-and-vectors.ts), Redis private to this file. `--direct`
 * with an SSM host is refused (SSM carries no tunnels).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { runCli } from "../cli/run-cli.ts";
import { serviceEnv } from "../harness/env.ts";
import { seed, snapshot, startRedis } from "./fixture.ts";
import type { PrivateRedis } from "./fixture.ts";
import { assertGraphAndVectors, graphAndVectorEnv, graphAndVectorFingerprint, graphAndVectorFlags, loadGraphAndVectors } from "./graph-and-vectors.ts";

const password = `pw-${randomBytes(12).toString("hex")}`;
let dir: string;
let source: PrivateRedis;
let destination: PrivateRedis;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-tunnel-"));
  [source, destination] = await Promise.all([startRedis(password), startRedis(password)]);
  await seed(source, "tunnel");
});

after(async () => {
  await Promise.all([source?.stop(), destination?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const sshFlags = (): string[] => ["--host", `ssh://${serviceEnv("SSH_USER")}@${serviceEnv("SSH_HOST")}:${serviceEnv("SSH_PORT")}`, "--ssh-key", serviceEnv("SSH_KEY_FILE"), "--known-hosts", serviceEnv("SSH_KNOWN_HOSTS")];
const stackFlags = (stack: string, redis: PrivateRedis, command: "backup" | "restore" = "backup"): string[] => ["--stack", stack, "--target", `file://${dir}/backups`, ...graphAndVectorFlags(command), "--redis-url", redis.url, "--services-controller", "none"];
const cli = (args: string[]) => runCli(args, { cwd: dir, env: { HOME: dir, REDIS_PASSWORD: password, ...graphAndVectorEnv() } });

test("--direct --host ssh://: backup and restore here, the host's stores reached through tunnels, same graph, points and keys", async () => {
  await loadGraphAndVectors(31);
  const backedUp = await graphAndVectorFingerprint();
  const backup = await cli(["backup", "--direct", ...stackFlags("tunnel-src", source), ...sshFlags()]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  for (const url of [source.url, serviceEnv("NEO4J_URI"), serviceEnv("QDRANT_URL")]) {
    assert.match(backup.stdout, new RegExp(`Tunnel: 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${new URL(url).port} on ssh://`));
  }
  assert.match(backup.stdout, /✓ neo4j: .* stored/);
  assert.match(backup.stdout, /✓ qdrant: .* stored \(3 collections/);
  assert.doesNotMatch(backup.stdout, /stackvault agent/, "nothing was shipped to the host");
  for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));

  await loadGraphAndVectors(32, 0.005);
  const restore = await cli(["restore", "--direct", "--latest", "--yes", "--from-stack", "tunnel-src", ...stackFlags("tunnel-dst", destination, "restore"), ...sshFlags()]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  assert.match(restore.stdout, new RegExp(`Tunnel: 127\\.0\\.0\\.1:\\d+ → 127\\.0\\.0\\.1:${new URL(destination.url).port} on ssh://`));
  const before = await snapshot(source);
  assert.ok(before.size >= 21);
  assert.deepEqual(await snapshot(destination), before);
  await assertGraphAndVectors(backedUp, "the graph and the collections are the ones backed up");
});

test("--direct with an SSM host is refused: tunnels go over SSH only", async () => {
  const r = await cli(["backup", "--direct", ...stackFlags("tunnel-src", source), "--host", "ssm://i-0123456789abcdef0"]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /tunnels to the stores go over SSH only/);
});
