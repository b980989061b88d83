/**
 * Remote runs through SSM, end to end: `backup --host ssm://i-…` and `restore --host ssm://i-… --from-stack
 * … --latest` from the command line, against the SSM stand-in (test/ssm-standin: the "instance" is this
 * machine, its scripts really run) with the S3 target on versitygw carrying the runs' input and output, on
 * all three stores (the harness's Neo4j and Qdrant, see graph-and-vectors.ts, and a private Redis). The seed's
 * Test 1 (backup, list, a valid manifest) and Test 3 (restore into another stack whose stores held other data,
 * content equal), with the passwords checked to be in no SSM command's parameters (which SSM keeps in its
 * history).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { runCli } from "../cli/run-cli.ts";
import type { CliResult } from "../cli/run-cli.ts";
import { startSsmStandin } from "../ssm-standin/server.ts";
import type { SsmStandin } from "../ssm-standin/server.ts";
import { deletePrefix, ensureBucket, rawClient, s3Coordinates } from "../targets/s3-env.ts";
import { seed, snapshot, startRedis } from "./fixture.ts";
import type { PrivateRedis } from "./fixture.ts";
import { COLLECTIONS, assertGraphAndVectors, graphAndVectorEnv, graphAndVectorFingerprint, graphAndVectorFlags, loadGraphAndVectors } from "./graph-and-vectors.ts";
import { serviceEnv } from "../harness/env.ts";

const INSTANCE = "i-0fedcba9876543210";
const password = `pw-${randomBytes(12).toString("hex")}`;
const c = s3Coordinates("S3");
const prefix = `ssm-remote-${randomBytes(3).toString("hex")}`;
let dir: string;
let standin: SsmStandin;
let source: PrivateRedis;
let destination: PrivateRedis;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-ssm-remote-"));
  await ensureBucket(c);
  // The instance reaches the bucket with its own credentials (standing for its instance role).
  standin = await startSsmStandin({
    instanceIds: [INSTANCE],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_ENDPOINT_URL: c.endpoint, AWS_DEFAULT_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" },
  });
  [source, destination] = await Promise.all([startRedis(password), startRedis(password)]);
  await seed(source, "ssm");
});

after(async () => {
  await Promise.all([source?.stop(), destination?.stop(), standin?.close()]);
  await deletePrefix(c, `${prefix}/`);
  await rm(dir, { recursive: true, force: true });
});

function stackFlags(stack: string, redis: PrivateRedis, command: "backup" | "restore" = "backup"): string[] {
  return ["--stack", stack, "--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", c.endpoint, "--region", "us-east-1", ...graphAndVectorFlags(command), "--redis-url", redis.url, "--services-controller", "none"];
}

const hostFlags = (): string[] => ["--host", `ssm://${INSTANCE}`, "--host-node", process.execPath, "--host-cache-dir", path.join(dir, "host-cache")];

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, {
    cwd: dir,
    env: { HOME: dir, REDIS_PASSWORD: password, ...graphAndVectorEnv(), AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_ENDPOINT_URL_SSM: standin.endpoint, AWS_EC2_METADATA_DISABLED: "true" },
  });
}

test("backup through SSM to S3: the [n/7] log, list shows it, its manifest is valid; then restore through SSM into another stack, same graph, points and keys", async () => {
  await loadGraphAndVectors(41);
  const backedUp = await graphAndVectorFingerprint();
  const backup = await cli(["backup", ...stackFlags("ssm-src", source), ...hostFlags()]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  for (let n = 1; n <= 7; n++) assert.match(backup.stdout, new RegExp(`\\[${n}/7\\]`));
  assert.match(backup.stdout, /Uploaded the stackvault agent \([\d.]+ MiB, sha256 [0-9a-f]{12}\) to ssm:\/\/i-0fedcba9876543210/);
  assert.match(backup.stdout, /✓ redis: .* stored \(\d+ keys\)/);
  const backupId = backup.stdout.match(/Backup (\S+) completed/)?.[1];
  assert.ok(backupId, backup.stdout);

  const list = await cli(["list", "--json", "--stack", "ssm-src", "--target", `s3://${c.bucket}/${prefix}`, "--s3-endpoint", c.endpoint, "--region", "us-east-1"]);
  assert.equal(list.code, 0, list.stderr);
  const backups = (JSON.parse(list.stdout) as { backups: { backupId: string; isLatest: boolean; status: string }[] }).backups;
  assert.deepEqual(backups.map((b) => [b.backupId, b.isLatest]), [[backupId, true]]);

  // The seed's Test 1: metadata.json is valid JSON with a checksum for each artifact, all present.
  const s3 = rawClient(c);
  const body = await (await s3.send(new GetObjectCommand({ Bucket: c.bucket, Key: `${prefix}/stacks/ssm-src/${backupId}/metadata.json` }))).Body?.transformToString();
  const manifest = JSON.parse(body ?? "") as { status?: string; stack_name?: string; databases?: Record<string, { file?: string; checksum_sha256?: string; keys_count?: number; node_count?: number; collections?: Record<string, { file?: string; checksum_sha256?: string; points_count?: number }> }> };
  const text = JSON.stringify(manifest);
  assert.equal(manifest.status, "completed");
  assert.equal(manifest.stack_name, "ssm-src");
  const redis = manifest.databases?.redis;
  assert.match(redis?.checksum_sha256 ?? "", /^[0-9a-f]{64}$/);
  assert.equal(redis?.keys_count, (await snapshot(source)).size);
  const stored = ((await s3.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: `${prefix}/stacks/ssm-src/${backupId}/` }))).Contents ?? []).map((o) => o.Key ?? "");
  assert.ok(stored.includes(`${prefix}/stacks/ssm-src/${backupId}/${redis?.file ?? "?"}`), stored.join(", "));
  const graph = manifest.databases?.neo4j;
  assert.match(graph?.checksum_sha256 ?? "", /^[0-9a-f]{64}$/);
  assert.equal(graph?.node_count, backedUp.neo4j?.counts.nodes);
  assert.ok(stored.includes(`${prefix}/stacks/ssm-src/${backupId}/${graph?.file ?? "?"}`), stored.join(", "));
  const collections = manifest.databases?.qdrant?.collections ?? {};
  assert.deepEqual(Object.keys(collections).sort(), [...COLLECTIONS].sort());
  for (const [name, entry] of Object.entries(collections)) {
    assert.match(entry.checksum_sha256 ?? "", /^[0-9a-f]{64}$/);
    assert.equal(entry.points_count, backedUp.qdrant?.counts[`points:${name}`]);
    assert.ok(stored.includes(`${prefix}/stacks/ssm-src/${backupId}/${entry.file ?? "?"}`), stored.join(", "));
  }
  assert.ok(!text.includes(password));

  await loadGraphAndVectors(42, 0.005);
  const restore = await cli(["restore", "--latest", "--yes", "--from-stack", "ssm-src", ...stackFlags("ssm-dst", destination, "restore"), ...hostFlags()]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  for (let n = 1; n <= 9; n++) assert.match(restore.stdout, new RegExp(`\\[${n}/9\\]`));
  assert.match(restore.stdout, /The stackvault agent \(sha256 [0-9a-f]{12}\) is already on ssm:\/\//);
  const before = await snapshot(source);
  assert.ok(before.size >= 21, "the dataset is not trivially small");
  assert.deepEqual(await snapshot(destination), before);
  await assertGraphAndVectors(backedUp, "the graph and the collections are the ones backed up");

  // What SSM keeps: no secret in any command, only references to the exchange.
  const sent = standin.requests.filter((r) => r.operation === "SendCommand").map((r) => JSON.stringify(r.body));
  assert.ok(sent.length >= 4, `commands sent: ${sent.length}`);
  const neo4jPassword = serviceEnv("NEO4J_PASSWORD");
  assert.deepEqual(sent.filter((b) => b.includes(password) || b.includes(neo4jPassword) || b.includes(c.secretAccessKey)), [], "no secret in any command's parameters");
  const exchange = ((await s3.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: `${prefix}/exec/` }))).Contents ?? []).map((o) => o.Key);
  assert.deepEqual(exchange, [], "every run's exchange objects were deleted");
});
