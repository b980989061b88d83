/**
 * The CloudFormation lifecycle end to end: stacks in the AWS emulator (moto: CloudFormation, EC2), the data
 * plane through the harness's loopback sshd (`--host`, which always wins over the host found from the stack,
 * so no connection ever goes to the emulator's made-up addresses), backups in the real S3 server (versitygw),
 * the three stores on the host side: the harness's Neo4j and Qdrant (test/remote/graph-and-vectors.ts: wiped
 * and loaded by this file) and real Redis servers private to this file. The compose steps go through a
 * recording `docker` stand-in (`--docker`), since no Docker engine runs here.
 *
 * The seed's Test 2 (destroy with backup; the backup still in S3 after DELETE_COMPLETE; a failing backup leaves
 * the stack in place) and Test 4 (deploy + restore in one command; every node, relationship, point and key
 * compared), plus bad input.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";
import type { CliResult } from "../cli/run-cli.ts";
import { motoEndpoint } from "../aws/moto.ts";
import { hostFlags, seed, snapshot, startRedis } from "../remote/fixture.ts";
import type { PrivateRedis } from "../remote/fixture.ts";
import { assertGraphAndVectors, graphAndVectorEnv, graphAndVectorFingerprint, graphAndVectorFlags, loadGraphAndVectors } from "../remote/graph-and-vectors.ts";
import type { StackFingerprint } from "../fixtures/compare/index.ts";
import { deletePrefix, ensureBucket, s3Coordinates } from "../targets/s3-env.ts";

const TEMPLATE = fileURLToPath(new URL("../../examples/knowwhere-host.yaml", import.meta.url));
const REGION = "us-east-1";
const password = `pw-${randomBytes(12).toString("hex")}`;
const tag = randomBytes(3).toString("hex");
const c = s3Coordinates("S3");
const prefix = `stack-${tag}`;
let dir: string;
let cacheDir: string;
let source: PrivateRedis;
let destination: PrivateRedis;
let docker: { path: string; log: string };
let cfn: CloudFormationClient;
/** Graph and collections as Test 2 backs them up. */
let backedUp: StackFingerprint;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-stack-"));
  cacheDir = path.join(dir, "host-cache");
  [source, destination] = await Promise.all([startRedis(password), startRedis(password)]);
  await seed(source, "stack");
  await loadGraphAndVectors(21);
  backedUp = await graphAndVectorFingerprint();
  await ensureBucket(c);
  docker = await recordingDocker(dir);
  cfn = new CloudFormationClient({ region: REGION, endpoint: motoEndpoint(), credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } });
});

after(async () => {
  cfn?.destroy();
  await Promise.all([source?.stop(), destination?.stop()]);
  await deletePrefix(c, `${prefix}/`).catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

const target = () => `s3://${c.bucket}/${prefix}`;

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, {
    cwd: dir,
    env: {
      HOME: dir,
      REDIS_PASSWORD: password,
      ...graphAndVectorEnv(),
      AWS_ENDPOINT_URL: motoEndpoint(),
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: "true",
    },
  });
}

/** The data plane of a `command` on the harness's Neo4j and Qdrant and `redis`, backups in the S3 server, services through the recording docker. */
function dataFlags(redis: PrivateRedis, command: "backup" | "restore"): string[] {
  return [
    "--target", target(), "--s3-endpoint", c.endpoint, "--region", REGION,
    ...graphAndVectorFlags(command), "--redis-url", redis.url,
    "--services-controller", "compose", "--docker", docker.path, "--compose-project", "knowbase",
  ];
}

async function deployBare(stack: string): Promise<void> {
  const r = await cli(["stack", "deploy", "--stack", stack, "--region", REGION, "--template", TEMPLATE, "--param", "KeyPairName=ops", "--param", `BackupBucket=${c.bucket}`, "--param", "SshCidr=198.51.100.7/32", "--direct"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
}

async function stackStatus(stack: string): Promise<string | undefined> {
  try {
    return (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0]?.StackStatus;
  } catch (err) {
    if (/does not exist/.test((err as Error).message)) return undefined;
    throw err;
  }
}

const backupStack = `Test-Backup-${tag}`;

test("Test 2: destroy --backup backs up on the host, deletes the stack, and the backup stays in S3 with latest naming it", async () => {
  await deployBare(backupStack);
  assert.equal(await stackStatus(backupStack), "CREATE_COMPLETE");
  const before = await snapshot(source);

  const r = await cli(["stack", "destroy", "--stack", backupStack, "--backup", "--yes", ...dataFlags(source, "backup"), ...hostFlags(cacheDir)]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // What will be deleted is shown first, then the backup's seven steps, then the deletion.
  assert.match(r.stdout, /will be deleted with its \d+ resource\(s\):[\s\S]*AWS::EC2::Instance Host i-[0-9a-f]+/);
  for (let n = 1; n <= 7; n++) assert.match(r.stdout, new RegExp(`\\[${n}/7\\]`));
  const order = ["will be deleted", "[1/7]", "is stored and validated; deleting the stack", "DELETE_COMPLETE"].map((s) => r.stdout.indexOf(s));
  assert.ok(order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] ?? 0))), `order of the log: ${order.join(", ")}\n${r.stdout}`);
  assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password));
  assert.equal(await stackStatus(backupStack), undefined, "the stack is gone");
  const backupId = /Backup (\S+) is stored and validated/.exec(r.stdout)?.[1];
  assert.ok(backupId);

  // The seed's check: `aws s3 ls …/stacks/Test-Backup/latest`, then the backup itself, verified from here.
  const list = await cli(["list", "--json", "--stack", backupStack, "--target", target(), "--s3-endpoint", c.endpoint, "--region", REGION]);
  assert.equal(list.code, 0, list.stderr);
  const backups = (JSON.parse(list.stdout) as { backups: { backupId: string; isLatest: boolean; status: string }[] }).backups;
  assert.deepEqual(backups.map((b) => [b.backupId, b.isLatest, b.status]), [[backupId, true, "completed"]]);
  const verify = await cli(["verify", "--stack", backupStack, "--latest", "--target", target(), "--s3-endpoint", c.endpoint, "--region", REGION]);
  assert.equal(verify.code, 0, verify.stderr + verify.stdout);
  assert.deepEqual(await snapshot(source), before, "the source was only read");
  await assertGraphAndVectors(backedUp, "the graph and the collections were only read");

  // The worker was stopped for the backup (warm stop) and started again, through the compose controller.
  const calls = await dockerCalls();
  const stop = calls.findIndex((l) => / stop -t 60 worker$/.test(l));
  assert.ok(stop >= 0 && calls.slice(stop).some((l) => / start worker$/.test(l)), calls.join("\n"));
});

test("Test 4: deploy creates the stack, brings the compose project up, waits for health, and restores Test-Backup/latest in one command", async () => {
  const stack = `Test-OneShot-${tag}`;
  const composeDir = path.join(dir, "deploy");
  await mkdir(path.join(composeDir, "config"), { recursive: true });
  const compose = "services:\n  app:\n    image: knowwhere/app\n  worker:\n    image: knowwhere/app\n  redis:\n    image: redis:7\n";
  await writeFile(path.join(composeDir, "docker-compose.yml"), compose);
  await writeFile(path.join(composeDir, "config", "app.env"), "LOG_LEVEL=info\n");
  const remoteDir = path.join(dir, "host-app");
  const marker = destination.client(0);
  await marker.flushall();
  await marker.set("marker", "from before the restore");
  marker.disconnect();
  // The new stack's graph and collections hold other data, which the restore must replace entirely.
  await loadGraphAndVectors(22, 0.005);
  await writeFile(docker.log, "");

  const r = await cli([
    "stack", "deploy", "--stack", stack, "--region", REGION, "--template", TEMPLATE,
    "--param", "KeyPairName=ops", "--param", `BackupBucket=${c.bucket}`, "--param", "SshCidr=198.51.100.7/32",
    "--compose-dir", composeDir, "--remote-dir", remoteDir, "--restore-from", `${backupStack}/latest`,
    ...dataFlags(destination, "restore"), ...hostFlags(cacheDir),
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(await stackStatus(stack), "CREATE_COMPLETE");
  assert.match(r.stdout, /Stack \S+ created \(CREATE_COMPLETE\)/);
  assert.match(r.stdout, /answers/);
  assert.match(r.stdout, /Uploaded 2 file\(s\)/);
  for (let n = 1; n <= 9; n++) assert.match(r.stdout, new RegExp(`\\[${n}/9\\]`));
  assert.match(r.stdout, new RegExp(`Restored ${backupStack}/\\S+ into '${stack}'`));

  // The compose project is on the host as it was here.
  assert.equal(await readFile(path.join(remoteDir, "docker-compose.yml"), "utf8"), compose);
  assert.equal(await readFile(path.join(remoteDir, "config", "app.env"), "utf8"), "LOG_LEVEL=info\n");
  // up -d in that folder, health polled until every service was healthy, and only then the restore stopped app and worker.
  const calls = await dockerCalls();
  const up = calls.findIndex((l) => l === `${remoteDir}\tcompose -p knowbase up -d`);
  const listings = calls.filter((l) => / ps --all --format json$/.test(l)).length;
  const stopApp = calls.findIndex((l) => / stop -t 60 app$/.test(l));
  assert.ok(up >= 0, calls.join("\n"));
  assert.ok(stopApp > up, calls.join("\n"));
  assert.ok(calls.slice(up, stopApp).filter((l) => / ps --all --format json (app|worker|redis)$/.test(l)).length >= 4, `health was polled until healthy:\n${calls.join("\n")}`);
  assert.ok(listings >= 1);
  assert.ok(calls.slice(stopApp).some((l) => / start app$/.test(l)));

  // Content, not counts: every node, relationship, schema item and point, and every key with its type, value
  // and expiry, as in the source when it was backed up.
  assert.deepEqual(await snapshot(destination), await snapshot(source));
  await assertGraphAndVectors(backedUp, "the graph and the collections are the ones Test 2 backed up");

});

test("a backup that fails leaves the stack in place, and says so", async () => {
  const stack = `Test-Fail-${tag}`;
  await deployBare(stack);
  const broken = { ...destination, url: "redis://127.0.0.1:1" };
  const r = await cli(["stack", "destroy", "--stack", stack, "--backup", "--yes", ...dataFlags(broken, "backup"), ...hostFlags(cacheDir)]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stdout + r.stderr, new RegExp(`The backup failed: stack ${stack} was NOT deleted`));
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
  assert.equal(await stackStatus(stack), "CREATE_COMPLETE", "the stack is still there");
  const list = await cli(["list", "--json", "--stack", stack, "--target", target(), "--s3-endpoint", c.endpoint, "--region", REGION]);
  assert.equal((JSON.parse(list.stdout) as { backups: { status: string }[] }).backups.filter((b) => b.status === "completed").length, 0);
});

test("bad input: unknown stack, no --yes without a terminal, both restore flags, --backup without a target", async () => {
  const unknown = await cli(["stack", "destroy", "--stack", `Nope-${tag}`, "--yes", "--region", REGION]);
  assert.equal(unknown.code, 5, unknown.stderr);
  assert.match(unknown.stderr, new RegExp(`No CloudFormation stack named 'Nope-${tag}' in ${REGION}`));

  const stack = `Test-Keep-${tag}`;
  await deployBare(stack);
  for (const extra of [[], ["--backup", ...dataFlags(source, "backup"), ...hostFlags(cacheDir)]]) {
    const r = await cli(["stack", "destroy", "--stack", stack, "--region", REGION, ...extra]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /confirmation needed, and there is no terminal to ask on/);
    assert.match(r.stderr, /Add --yes/);
    assert.equal(await stackStatus(stack), "CREATE_COMPLETE");
  }
  const list = await cli(["list", "--json", "--stack", stack, "--target", target(), "--s3-endpoint", c.endpoint, "--region", REGION]);
  assert.deepEqual((JSON.parse(list.stdout) as { backups: unknown[] }).backups, [], "no backup was taken before the refusal");

  // A second deploy of an existing stack updates it; restoring into a stack that already existed replaces its
  // data, so it is asked (and refused without a terminal or --yes), nothing changed.
  const w = destination.client(0);
  await w.set("written-after-deploy", "kept");
  w.disconnect();
  const again = await cli(["stack", "deploy", "--stack", stack, "--region", REGION, "--template", TEMPLATE, "--param", "SshCidr=198.51.100.8/32", "--restore-from", backupStack, ...dataFlags(destination, "restore"), ...hostFlags(cacheDir)]);
  assert.equal(again.code, 2, again.stderr + again.stdout);
  assert.match(again.stdout, /Stack \S+ (updated|unchanged)/);
  assert.match(again.stderr, /confirmation needed, and there is no terminal to ask on/);
  assert.ok(!hasStackTrace(again.stderr), again.stderr);
  const check = destination.client(0);
  assert.equal(await check.get("written-after-deploy"), "kept");
  check.disconnect();

  const both = await cli(["stack", "deploy", "--stack", stack, "--template", TEMPLATE, "--restore-latest", "--restore-from", backupStack, "--region", REGION]);
  assert.equal(both.code, 2, both.stderr);
  assert.match(both.stderr, /--restore-latest.*cannot be used with.*--restore-from|exclude each other/);
  const noTarget = await cli(["stack", "destroy", "--stack", stack, "--backup", "--yes", "--region", REGION]);
  assert.equal(noTarget.code, 3, noTarget.stderr);
  assert.match(noTarget.stderr, /needs a target/);
  assert.equal(await stackStatus(stack), "UPDATE_COMPLETE", "still there");

  const gone = await cli(["stack", "destroy", "--stack", stack, "--region", REGION, "--yes"]);
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stderr, /No --backup: every piece of data on stack .* will be LOST/);
});

// --- internal ---

/**
 * A `docker` that records each call (`cwd<TAB>args`) and answers `compose ps --format json` like Docker
 * Compose: app, worker and redis running; health `starting` for the first listings, `healthy` after.
 */
async function recordingDocker(folder: string): Promise<{ path: string; log: string }> {
  const log = path.join(folder, "docker-calls.log");
  const file = path.join(folder, "docker");
  await writeFile(log, "");
  await writeFile(
    file,
    [
      "#!/bin/sh",
      `log='${log}'`,
      'printf "%s\\t%s\\n" "$PWD" "$*" >> "$log"',
      'case " $* " in *" ps "*) ;; *) exit 0;; esac',
      'last=""; for a in "$@"; do last="$a"; done',
      'n=$(grep -c " ps " "$log")',
      'health=healthy; [ "$n" -le 3 ] && health=starting',
      "for s in app worker redis; do",
      '  if [ "$last" = json ] || [ "$last" = "$s" ]; then printf \'{"Service":"%s","State":"running","Health":"%s"}\\n\' "$s" "$health"; fi',
      "done",
      "",
    ].join("\n"),
  );
  await chmod(file, 0o755);
  return { path: file, log };
}

async function dockerCalls(): Promise<string[]> {
  return (await readFile(docker.log, "utf8")).split("\n").filter((l) => l !== "");
}
