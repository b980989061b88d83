/**
 * Benchmark of the Qdrant engine's backup and restore paths (not a test; run on demand, with the test services' `S3_*`
 * coordinates loaded from `.cache/services/env`):
 *
 *   scripts/with-node node bench/qdrant/run.ts [--points 100000] [--dim 384] [--repeat 2] [--json FILE] [--scale S]
 *
 * Starts its own Qdrant test server (a separate process, temporary data folder), loads one collection of
 * random dense vectors with small payloads, then in the same run, each `--repeat` times:
 *   - stackvault: the engine's backup (snapshot with wait=true → streamed download → sha256 → S3 target
 *     multipart, server-side snapshot deleted), with `none` and with `zstd`, in a child process (peak RSS its own; stackvault's V8 flags);
 *   - the peer: `curl -X POST …/snapshots?wait=true`, `curl -o file`, `aws s3 cp file`, `curl -X DELETE`
 *     (Debian `awscli` when installed as /usr/bin/aws), under /usr/bin/time;
 *   - stackvault's restore of the `none` backup (S3 object → verified stream → upload-recover under another
 *     name), in a child process too, and the peer's: `aws s3 cp` to a file, then `curl -F snapshot=@file`.
 * Prints MiB/s of snapshot bytes, CPU seconds, stored size and peak RSS, the ratio to the peer (goal ≥ 1×, with no
 * temporary file on our side) and what zstd buys on snapshots. With `--json FILE` it also writes the best runs and
 * the ratios as a bench/common/result.ts document (`--scale` only labels it, for bench/run.ts).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { atLeast, atMost, figure, loadAverage, writeResults } from "../common/result.ts";
import { MALLOC_ENV, NODE_FLAGS } from "../../src/core/node-flags.ts";
import { awsEnv, makeBenchBucket, removeBenchBucket } from "../common/s3-bucket.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const { values } = parseArgs({ options: { points: { type: "string", default: "100000" }, dim: { type: "string", default: "384" }, repeat: { type: "string", default: "2" }, json: { type: "string" }, scale: { type: "string", default: "1" } } });
const points = Number(values.points);
const dim = Number(values.dim);
const repeat = Number(values.repeat);
const s3 = await makeBenchBucket({ endpoint: need("S3_ENDPOINT"), accessKey: need("S3_ACCESS_KEY"), secretKey: need("S3_SECRET_KEY") }, "qdrant");
const aws = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
const peerEnv = awsEnv(s3);
const work = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-qdrant-"));
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, [path.join(root, "test/qdrant-server/main.ts"), "--host", "127.0.0.1", "--port", String(port), "--data", path.join(work, "data")], { stdio: "ignore" });

interface Row { name: string; seconds: number; cpuSeconds: number; rawBytes: number; storedBytes: number; rssKiB: number }
const rows: Row[] = [];
const loadBefore = loadAverage();
try {
  await waitForServer();
  const loadStarted = performance.now();
  await load();
  console.log(`loaded ${points} points of ${dim} floats in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${firstLine(aws, ["--version"])}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  for (let i = 0; i < repeat; i++) {
    rows.push(ours("none"), peer(), ours("zstd"), oursRestore("none"), peerRestore());
  }
  const best = (prefix: string) => rows.filter((r) => r.name.startsWith(prefix)).reduce((a, b) => (a.seconds <= b.seconds ? a : b));
  const snapshotBytes = best("stackvault none").rawBytes;
  console.log(`\nsnapshot: ${mib(snapshotBytes).toFixed(1)} MiB; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log(`${"run".padEnd(44)} ${"MiB/s".padStart(8)} ${"seconds".padStart(8)} ${"CPU s".padStart(7)} ${"stored MiB".padStart(11)} ${"ratio".padStart(6)} ${"peak RSS MiB".padStart(13)}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(44)} ${(mib(snapshotBytes) / r.seconds).toFixed(0).padStart(8)} ${r.seconds.toFixed(2).padStart(8)} ${r.cpuSeconds.toFixed(2).padStart(7)} ${mib(r.storedBytes).toFixed(1).padStart(11)} ${(snapshotBytes / r.storedBytes).toFixed(2).padStart(6)} ${(r.rssKiB / 1024).toFixed(0).padStart(13)}`);
  }
  const none = best("stackvault none");
  const zstd = best("stackvault zstd");
  const curl = best("curl");
  const restore = best("stackvault restore");
  const curlRestore = best("aws s3 cp");
  console.log(`\nbest runs: stackvault none → S3 is ${(curl.seconds / none.seconds).toFixed(2)}× the peer's throughput (goal ≥ 1×), no temporary file;`);
  writeResults(values.json, [{
    bench: "qdrant",
    scale: Number(values.scale),
    dataset: `${points} points of ${dim} floats, snapshot ${mib(snapshotBytes).toFixed(1)} MiB`,
    rows: [none, curl, zstd, restore, curlRestore].map((r) => ({ name: r.name, side: r.name.startsWith("stackvault") ? "stackvault" : "peer", seconds: r.seconds, cpuSeconds: r.cpuSeconds, peakRssMiB: r.rssKiB / 1024, rate: mib(snapshotBytes) / r.seconds, unit: "MiB/s", note: `best of ${repeat}` })),
    ratios: [
      atLeast("snapshot → S3 speed, stackvault none ÷ curl + aws s3 cp", curl.seconds / none.seconds, 1),
      figure("stored bytes saved by zstd", (1 - zstd.storedBytes / zstd.rawBytes) * 100, "%"),
      atMost("peak RSS of stackvault's backup", Math.max(none.rssKiB, zstd.rssKiB) / 1024, 256, "MiB"),
      figure("S3 → Qdrant restore speed, stackvault ÷ aws s3 cp + curl -F", curlRestore.seconds / restore.seconds, "×"),
      atMost("peak RSS of stackvault's restore", restore.rssKiB / 1024, 256, "MiB"),
    ],
    loadAverage: { before: loadBefore, after: loadAverage() },
  }]);
  console.log(`restore: stackvault S3 → upload-recover is ${(curlRestore.seconds / restore.seconds).toFixed(2)}× the peer's throughput, peak RSS ${(restore.rssKiB / 1024).toFixed(0)} MiB;`);
  console.log(`zstd stores ${((1 - zstd.storedBytes / zstd.rawBytes) * 100).toFixed(1)}% fewer bytes and takes ${(zstd.seconds / none.seconds).toFixed(2)}× the time of none (CPU ${zstd.cpuSeconds.toFixed(1)} s vs ${none.cpuSeconds.toFixed(1)} s).`);
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(undefined)));
  await removeBenchBucket(s3);
  rmSync(work, { recursive: true, force: true });
}

// --- internal ---

function ours(compression: string): Row {
  const r = child(["backup", url, "bench", `bench-qdrant-${process.pid}/ours-${compression}`, compression, path.join(work, `section-${compression}.json`)]);
  return { name: `stackvault ${compression} → S3 (streamed)`, seconds: r.seconds, cpuSeconds: r.cpuSeconds, rawBytes: r.rawBytes, storedBytes: r.storedBytes, rssKiB: r.maxRssKiB };
}

/** stackvault's restore of the backup `ours(compression)` made, into `bench_restored` (dropped afterwards). */
function oursRestore(compression: string): Row {
  const r = child(["restore", url, "bench", `bench-qdrant-${process.pid}/ours-${compression}`, path.join(work, `section-${compression}.json`)]);
  spawnSync("curl", ["-sf", "-o", "/dev/null", "-X", "DELETE", `${url}/collections/bench_restored`], { stdio: "inherit" });
  return { name: `stackvault restore ← S3 ${compression} (streamed)`, seconds: r.seconds, cpuSeconds: r.cpuSeconds, rawBytes: r.rawBytes, storedBytes: r.storedBytes, rssKiB: r.maxRssKiB };
}

function child(argv: string[]): { seconds: number; cpuSeconds: number; rawBytes: number; storedBytes: number; maxRssKiB: number } {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, path.join(here, "child.ts"), ...argv], { env: { ...process.env, ...MALLOC_ENV, S3_BUCKET: s3.bucket }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (run.status !== 0) throw new Error(`stackvault ${argv.join(" ")} failed with status ${run.status}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as { seconds: number; cpuSeconds: number; rawBytes: number; storedBytes: number; maxRssKiB: number };
}

/** The peer's restore: fetch the object the peer stored to a file, upload it with curl, drop the collection. */
function peerRestore(): Row {
  const file = path.join(work, "peer-restore.snapshot");
  const script = [
    "set -e",
    `"${aws}" --endpoint-url "${s3.endpoint}" s3 cp --only-show-errors "s3://${s3.bucket}/bench-qdrant-${process.pid}/peer.snapshot" "$2"`,
    `curl -sf -o /dev/null -F "snapshot=@$2" "$1/collections/bench_peer/snapshots/upload?wait=true&priority=snapshot"`,
  ].join("\n");
  const timed = timedShell(script, file);
  const size = Number(spawnSync("stat", ["-c", "%s", file], { encoding: "utf8" }).stdout.trim());
  rmSync(file, { force: true });
  spawnSync("curl", ["-sf", "-o", "/dev/null", "-X", "DELETE", `${url}/collections/bench_peer`], { stdio: "inherit" });
  return { name: "aws s3 cp to file && curl -F snapshot=@file", ...timed, rawBytes: size, storedBytes: size };
}

/** Runs `sh -c script sh URL FILE` under /usr/bin/time: seconds, CPU seconds, peak RSS in KiB. */
function timedShell(script: string, file: string): { seconds: number; cpuSeconds: number; rssKiB: number } {
  const timeFile = path.join(work, "time.txt");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, "sh", "-c", script, "sh", url, file], { stdio: "inherit", env: peerEnv });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`the peer failed: ${script.split("\n").at(-1) ?? ""}`);
  const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return { seconds, cpuSeconds: user + sys, rssKiB: rss };
}

/** The peer: create the snapshot, download it to a file, upload the file, delete the snapshot. */
function peer(): Row {
  const file = path.join(work, "peer.snapshot");
  const script = [
    "set -e",
    `name=$(curl -sf -X POST "$1/collections/bench/snapshots?wait=true" | jq -r .result.name)`,
    `curl -sf -o "$2" "$1/collections/bench/snapshots/$name"`,
    `"${aws}" --endpoint-url "${s3.endpoint}" s3 cp --only-show-errors "$2" "s3://${s3.bucket}/bench-qdrant-${process.pid}/peer.snapshot"`,
    `curl -sf -X DELETE "$1/collections/bench/snapshots/$name" > /dev/null`,
  ].join("\n");
  const timed = timedShell(script, file);
  const size = Number(spawnSync("stat", ["-c", "%s", file], { encoding: "utf8" }).stdout.trim());
  rmSync(file, { force: true });
  return { name: "curl -o file && aws s3 cp file", ...timed, rawBytes: size, storedBytes: size };
}

async function load(): Promise<void> {
  await call("PUT", "/collections/bench", { vectors: { size: dim, distance: "Cosine" } });
  let state = 0x9e3779b9;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32 - 0.5;
  };
  for (let start = 0; start < points; start += 500) {
    const batch = [];
    for (let id = start; id < Math.min(points, start + 500); id++) {
      batch.push({ id, vector: Array.from({ length: dim }, random), payload: { doc: `document-${id % 997}`, page: id % 400, text: `passage ${id} of the benchmark collection` } });
    }
    await call("PUT", "/collections/bench/points?wait=true", { points: batch });
  }
}

async function call(method: string, pathname: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${pathname}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${pathname} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
}

async function waitForServer(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (exited(server)) throw new Error("the Qdrant test server exited at start");
    try {
      if ((await fetch(`${url}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the Qdrant test server did not answer at ${url}`);
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function firstLine(command: string, argv: string[]): string {
  const r = spawnSync(command, argv, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? command;
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

function need(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new Error(`${name} is not set: start the test services and load .cache/services/env`);
  return value;
}
