/**
 * Benchmark of the backup pipeline (not a test; run on demand):
 *
 *   scripts/with-node node bench/pipeline/run.ts [--size-mib 1024] [--seed 1] [--compressions zstd,none] [--level 3]
 *     [--repeat 1] [--block-mib 4] [--parallelism N] [--read-kib 1024] [--s3 memory|services|none] [--json FILE] [--scale S]
 *
 * Generates deterministic dump-like Cypher (cached under the user cache folder, keyed by seed, size and
 * generator version), then, `--repeat` times in a row (so that a burst of load on a shared machine hits
 * every row alike):
 *   - stackvault: file → compress + sha256 of raw and stored bytes → local-folder target (atomic put, fsync),
 *     in a child process (with stackvault's V8 flags, src/core/node-flags.ts), reporting MiB/s of raw input and peak RSS;
 *     and the same into a plain file (no fsync), to separate the target's durability cost. The input file is read
 *     `--read-kib` at a time (default 1 MiB; README.md says why);
 *   - the peers: `zstd -3 | cat > file` (one thread, as zstd runs by default), the same with `sync file`,
 *     `zstd -3 -T2 | cat > file` (two threads, as the pipeline uses two cores), and the pipeline's whole work done by
 *     native tools: `tee` into `openssl dgst -sha256` of the raw bytes, `zstd -3 -T2`, `tee` into another of the
 *     stored bytes, into a file. `--level` sets the zstd
 *     level of both sides (default 3, stackvault's default); the report adds the ceiling of zstd itself at
 *     that level on this machine's cores (its single-thread CPU time per byte, spread perfectly).
 * It checks that the pipeline's raw sha256 is the input's and that `zstd -t` accepts the stored file.
 *
 * With an S3 server, also:
 *   - stackvault zstd and none → the S3 target (multipart, default part size and queue);
 *   - the peers: `aws s3 cp file` of the raw bytes, `zstd -3 | aws s3 cp -` and `zstd -3 -T2 | aws s3 cp -`
 *     (Debian's `awscli` at /usr/bin/aws when installed, else the `aws` on PATH; the run prints which).
 *     `--s3 memory` (the default) starts a private versitygw whose objects live in memory
 *     (bench/common/private-s3.ts says why); `--s3 services` uses the test services' versitygw (`S3_*` of
 *     `.cache/services/env`), which stores on disk; `--s3 none` skips these rows.
 *     The runs use a bucket of their own, made at the start and removed with everything in it at the end: the
 *     test services' bucket is versioned, and objects deleted there keep their bytes as old versions (1.6 GiB
 *     per run at the default size).
 *
 * It prints the machine's load average at the start and the end, a table (median and best MiB/s over the
 * repeats), the ratios to the peers, and which of issue 3's goals the run met. With `--json FILE` it also writes
 * them as a bench/common/result.ts document (`--scale` only labels it, for bench/run.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateDump, GENERATOR_VERSION } from "./generate.ts";
import { optionArgs } from "../common/args.ts";
import { startPrivateS3, type PrivateS3 } from "../common/private-s3.ts";
import { awsEnv, makeBenchBucket, removeBenchBucket, s3ServicesFromEnv } from "../common/s3-bucket.ts";
import { loadAverage as loadAverageNow, median, writeResults, type BenchRow } from "../common/result.ts";
import { printReport, type Measure, type Row } from "./report.ts";
import { MALLOC_ENV, NODE_FLAGS } from "../../src/core/node-flags.ts";

const SINK_NAMES: Record<string, string> = { local: "local target", file: "plain file", s3: "S3 target" };
const here = path.dirname(fileURLToPath(import.meta.url));
const args = optionArgs(process.argv.slice(2));
const size = Number(args["size-mib"] ?? 1024) * 1024 * 1024;
const seed = Number(args["seed"] ?? 1);
const compressions = (args["compressions"] ?? "zstd,none").split(",");
const repeat = Math.max(1, Number(args["repeat"] ?? 1));
const blockBytes = args["block-mib"] === undefined ? "" : String(Number(args["block-mib"]) * 1024 * 1024);
const parallelism = args["parallelism"] ?? "";
const readBytes = String(Number(args["read-kib"] ?? 1024) * 1024);
/** zstd level of both sides (stackvault's default is 3, as zstd's). */
const level = Number(args["level"] ?? 3);
if (!Number.isInteger(level) || level < 1 || level > 19) throw new Error(`--level ${args["level"]}: a zstd level from 1 to 19`);
const s3Server = args["s3"] ?? "memory";
if (!["memory", "services", "none"].includes(s3Server)) throw new Error(`--s3 ${s3Server}: memory, services or none`);

const cacheDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "stackvault", "bench");
mkdirSync(cacheDir, { recursive: true });
const input = path.join(cacheDir, `dump-v${GENERATOR_VERSION}-seed${seed}-${size}.cypher`);
const inputShaFile = `${input}.sha256`;
if (!existsSync(input) || !existsSync(inputShaFile)) {
  const t = Date.now();
  console.log(`generating ${mib(size)} MiB of dump-like Cypher (seed ${seed}) into ${input} …`);
  const sha = await generateDump(`${input}.partial`, size, seed);
  renameSync(`${input}.partial`, input);
  writeFileSync(inputShaFile, sha);
  console.log(`  generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const inputSha = readFileSync(inputShaFile, "utf8").trim();
// Warm the page cache so that neither side pays for the first read from disk.
spawnSync("cat", [input], { stdio: ["ignore", "ignore", "inherit"] });

const work = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-"));
const aws = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
const privateS3: PrivateS3 | undefined = s3Server === "memory" ? await startPrivateS3((m) => console.log(`s3: ${m}`)) : undefined;
const services = s3Server === "memory" ? privateS3 : s3Server === "services" ? s3ServicesFromEnv() : undefined;
const s3 = services && (await makeBenchBucket(services, "pipeline"));
const rows = new Map<string, Row>();
const loadAtStart = loadAverage();
const loadAtStartNumbers = loadAverageNow();
try {
  console.log(`node ${process.version}, ${os.availableParallelism()} CPUs, ${firstLine("zstd", ["--version"])}`);
  if (s3) console.log(`aws: ${aws} (${firstLine(aws, ["--version"])}); S3 server: ${privateS3 ? `a private versitygw, objects in ${privateS3.dataDir}` : `the test services' versitygw at ${s3.endpoint}`}`);
  console.log(`load average at start: ${loadAtStart}`);
  const sinks = ["local", "file", ...(s3 ? ["s3"] : [])];
  for (let round = 1; round <= repeat; round++) {
    if (repeat > 1) console.log(`round ${round} of ${repeat} (load average ${loadAverage()})`);
    for (const compression of compressions) {
      for (const sink of compression === "zstd" ? sinks : sinks.filter((k) => k !== "file")) {
        record(`stackvault ${compression} → ${SINK_NAMES[sink]}`, `${compression}:${sink}`, pipelineRun(compression, sink));
      }
    }
    const peerOut = path.join(work, "peer.zst");
    const z = `zstd -${level}`;
    record(`${z} | cat > file`, "peer:zstd", peer(["sh", "-c", `${z} -q -c < "$1" | cat > "$2"`, "sh", input, peerOut], peerOut));
    record(`${z} | cat > file; sync file`, "peer:zstd-sync", peer(["sh", "-c", `${z} -q -c < "$1" | cat > "$2" && sync "$2"`, "sh", input, peerOut], peerOut));
    record(`${z} -T2 | cat > file`, "peer:zstd-T2", peer(["sh", "-c", `${z} -T2 -q -c < "$1" | cat > "$2"`, "sh", input, peerOut], peerOut));
    record(`sha256, ${z} -T2, sha256 > file`, "peer:zstd-T2-sha", peer(["sh", "-c", nativePipelineScript(z), "sh", input, peerOut, work], peerOut));
    if (s3) {
      const url = `s3://${s3.bucket}/bench-peer-${process.pid}`;
      const env = awsEnv(s3);
      const cp = `"${aws}" --endpoint-url "${s3.endpoint}" s3 cp --only-show-errors`;
      record("aws s3 cp file (raw)", "peer:aws", peer(["sh", "-c", `${cp} "$1" "${url}/raw"`, "sh", input], undefined, env));
      record(`${z} | aws s3 cp -`, "peer:zstd-aws", peer(["sh", "-c", `${z} -q -c < "$1" | ${cp} - "${url}/zst"`, "sh", input], undefined, env));
      record(`${z} -T2 | aws s3 cp -`, "peer:zstd-T2-aws", peer(["sh", "-c", `${z} -T2 -q -c < "$1" | ${cp} - "${url}/zst"`, "sh", input], undefined, env));
      spawnSync(aws, ["--endpoint-url", s3.endpoint, "s3", "rm", "--recursive", "--only-show-errors", `${url}/`], { env, stdio: "inherit" });
    }
  }
  console.log(`\ninput: ${mib(size)} MiB, sha256 ${inputSha.slice(0, 16)}…; load average at start ${loadAtStart}, at end ${loadAverage()} (${os.availableParallelism()} CPUs)`);
  if (blockBytes || parallelism) console.log(`pipeline options: block ${blockBytes || "default"} bytes, parallelism ${parallelism || "default"}`);
  const ratios = printReport({ rows, size, cpus: os.availableParallelism(), s3: s3 !== undefined, level });
  writeResults(args["json"], [{
    bench: "pipeline",
    scale: Number(args["scale"] ?? 1),
    dataset: `${mib(size)} MiB of dump-like Cypher (seed ${seed}), zstd level ${level}; ${!s3 ? "S3 rows skipped" : privateS3 ? "S3: a private versitygw storing in memory" : "S3: the test services' versitygw (on disk)"}`,
    rows: [...rows.values()].map((row): BenchRow => ({
      name: row.name,
      side: row.key.startsWith("peer:") ? "peer" : "stackvault",
      seconds: median(row.runs.map((m) => m.seconds)),
      cpuSeconds: median(row.runs.map((m) => m.cpuSeconds)),
      peakRssMiB: Math.max(...row.runs.map((m) => m.rssKiB)) / 1024,
      rate: mib(size) / median(row.runs.map((m) => m.seconds)),
      unit: "MiB/s",
    })),
    ratios,
    loadAverage: { before: loadAtStartNumbers, after: loadAverageNow() },
  }]);
  if (!s3) console.log(s3Server === "none" ? "S3 rows skipped (--s3 none)." : "S3 rows skipped: set S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY (.cache/services/env).");
} finally {
  rmSync(work, { recursive: true, force: true });
  if (s3) await removeBenchBucket(s3);
  await privateS3?.stop();
}

// --- internal ---

interface ChildResult { seconds: number; storedBytes: number; rawSha256: string; file?: string; maxRssKiB: number; cpuSeconds: number }

function record(name: string, key: string, measure: Measure): void {
  console.log(`  ${name.padEnd(34)} ${(mib(size) / measure.seconds).toFixed(0).padStart(5)} MiB/s  ${measure.cpuSeconds.toFixed(2).padStart(6)} CPU s  load ${os.loadavg()[0]?.toFixed(2)}`);
  const row = rows.get(key) ?? { name, key, runs: [] };
  row.runs.push(measure);
  rows.set(key, row);
}

/** One pipeline run in a child process; checks the raw hash (and the zstd file when it is local). */
function pipelineRun(compression: string, sink: string): Measure {
  const dir = sink === "s3" ? `bench-${process.pid}-${compression}` : path.join(work, `${compression}-${sink}`);
  const child = spawnSync(process.execPath, [...NODE_FLAGS, path.join(here, "child.ts"), input, dir, compression, sink, blockBytes, parallelism, String(level), readBytes], {
    env: { ...process.env, ...MALLOC_ENV, ...(s3 ? { S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: s3.bucket } : {}) },
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`pipeline run (${compression} → ${sink}) failed with status ${child.status}`);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as ChildResult;
  if (r.rawSha256 !== inputSha) throw new Error(`pipeline raw sha256 ${r.rawSha256} differs from the input's ${inputSha}`);
  if (compression === "zstd" && r.file !== undefined && spawnSync("zstd", ["-q", "-t", r.file]).status !== 0) {
    throw new Error("zstd -t refused the stored file");
  }
  if (sink === "s3" && s3) {
    spawnSync(aws, ["--endpoint-url", s3.endpoint, "s3", "rm", "--recursive", "--only-show-errors", `s3://${s3.bucket}/${dir}/`], { env: awsEnv(s3), stdio: "inherit" });
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
  return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, storedBytes: r.storedBytes, rssKiB: r.maxRssKiB };
}

/**
 * The backup pipeline's work done by native tools, for `sh -c SCRIPT sh INPUT OUTPUT DIR`: the raw bytes go through
 * `tee` into `openssl dgst -sha256`, are compressed by `zstd -T2`, and the compressed bytes go through `tee` into
 * `openssl dgst -sha256` and into OUTPUT. The hashes read named pipes in DIR; the script waits for both. OpenSSL,
 * not coreutils' `sha256sum`, because it uses the CPU's SHA extensions as node's crypto does (coreutils 9.1 hashes
 * three times slower here).
 */
function nativePipelineScript(zstd: string): string {
  return `rm -f "$3/raw.fifo" "$3/stored.fifo" && mkfifo "$3/raw.fifo" "$3/stored.fifo" && ` +
    `{ openssl dgst -sha256 < "$3/raw.fifo" > /dev/null & openssl dgst -sha256 < "$3/stored.fifo" > /dev/null & ` +
    `tee "$3/raw.fifo" < "$1" | ${zstd} -T2 -q -c | tee "$3/stored.fifo" > "$2"; wait; } && rm -f "$3/raw.fifo" "$3/stored.fifo"`;
}

/** Runs a peer command under /usr/bin/time; `out` is the file whose size is the stored size (none when streamed). */
function peer(argv: string[], out: string | undefined, env: NodeJS.ProcessEnv = process.env): Measure {
  const timeFile = path.join(work, "time.txt");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, ...argv], { stdio: "inherit", env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${argv.join(" ")} failed`);
  const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  const stored = out === undefined ? undefined : statSync(out).size;
  if (out !== undefined) rmSync(out);
  return { seconds, cpuSeconds: user + sys, storedBytes: stored, rssKiB: rss };
}

/** The 1, 5 and 15 minute load averages as the kernel prints them in /proc/loadavg. */
function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(" ");
}

function firstLine(command: string, argv: string[]): string {
  const r = spawnSync(command, argv, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? command;
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

