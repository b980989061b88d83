/**
 * Benchmark of the backup pipeline (not a test; run on demand):
 *
 *   scripts/with-node node bench/pipeline/run.ts [--size-mib 1024] [--seed 1] [--compressions zstd,none]
 *
 * Generates deterministic dump-like Cypher (cached under the user cache folder, keyed by seed, size and
 * generator version), then in the same run:
 *   - stackvault: file → compress + sha256 of raw and stored bytes → local-folder target (atomic put, fsync),
 *     in a child process, reporting MiB/s of raw input and peak RSS;
 *     and the same into a plain file (no fsync), to separate the target's durability cost;
 *   - the peer: `zstd -3 -c < input | cat > file` on the same bytes, and the same followed by `sync file`
 *     (wall time, and peak RSS of the largest process by /usr/bin/time).
 * It checks that the pipeline's raw sha256 is the input's and that `zstd -t` accepts the stored file.
 *
 * With the `S3_*` variables of the test services set (`.cache/services/env`), also:
 *   - stackvault zstd and none → the S3 target (multipart, default part size and queue);
 *   - the peers: `aws s3 cp file` of the raw bytes and `zstd -3 | aws s3 cp -` (Debian `awscli` when
 *     installed as /usr/bin/aws, else the `aws` on PATH). The bucket must exist.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateDump, GENERATOR_VERSION } from "./generate.ts";

const SINK_NAMES: Record<string, string> = { local: "local target", file: "plain file", s3: "S3 target" };
const here = path.dirname(fileURLToPath(import.meta.url));
const args = parseArgs(process.argv.slice(2));
const size = Number(args["size-mib"] ?? 1024) * 1024 * 1024;
const seed = Number(args["seed"] ?? 1);
const compressions = (args["compressions"] ?? "zstd,none").split(",");

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
const s3 = s3Coordinates();
const aws = existsSync("/usr/bin/aws") ? "/usr/bin/aws" : "aws";
const rows: string[] = [];
try {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${firstLine("zstd", ["--version"])}`);
  const sinks = ["local", "file", ...(s3 ? ["s3"] : [])];
  for (const compression of compressions) {
    for (const sink of compression === "zstd" ? sinks : sinks.filter((k) => k !== "file")) {
      const r = pipelineRun(compression, sink);
      rows.push(row(`stackvault ${compression} → ${SINK_NAMES[sink]}`, r.seconds, r.storedBytes, r.maxRssKiB, r.cpuSeconds));
    }
  }
  const peerOut = path.join(work, "peer.zst");
  rows.push(peer("zstd -3 | cat > file", ["sh", "-c", 'zstd -3 -q -c < "$1" | cat > "$2"', "sh", input, peerOut], peerOut));
  rows.push(peer("zstd -3 | cat > file; sync file", ["sh", "-c", 'zstd -3 -q -c < "$1" | cat > "$2" && sync "$2"', "sh", input, peerOut], peerOut));
  if (s3) {
    console.log(firstLine(aws, ["--version"]));
    const url = `s3://${s3.bucket}/bench-peer-${process.pid}`;
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey, AWS_DEFAULT_REGION: "us-east-1" };
    const cp = `"${aws}" --endpoint-url "${s3.endpoint}" s3 cp --only-show-errors`;
    rows.push(peer("aws s3 cp file (raw)", ["sh", "-c", `${cp} "$1" "${url}/raw"`, "sh", input], undefined, env));
    rows.push(peer("zstd -3 | aws s3 cp -", ["sh", "-c", `zstd -3 -q -c < "$1" | ${cp} - "${url}/zst"`, "sh", input], undefined, env));
    spawnSync(aws, ["--endpoint-url", s3.endpoint, "s3", "rm", "--recursive", "--only-show-errors", `${url}/`], { env, stdio: "inherit" });
  }
  console.log(`\ninput: ${mib(size)} MiB, sha256 ${inputSha.slice(0, 16)}…, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log(`${"run".padEnd(36)} ${"MiB/s".padStart(8)} ${"seconds".padStart(8)} ${"CPU s".padStart(8)} ${"stored MiB".padStart(11)} ${"ratio".padStart(6)} ${"peak RSS MiB".padStart(13)}`);
  for (const line of rows) console.log(line);
  console.log("\nMiB/s are of raw input. Peer CPU is summed over the shell's children, RSS is the largest child's.");
  if (!s3) console.log("S3 rows skipped: set S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET (.cache/services/env).");
} finally {
  rmSync(work, { recursive: true, force: true });
}

// --- internal ---

interface ChildResult { seconds: number; storedBytes: number; rawSha256: string; file?: string; maxRssKiB: number; cpuSeconds: number }

/** One pipeline run in a child process; checks the raw hash (and the zstd file when it is local). */
function pipelineRun(compression: string, sink: string): ChildResult {
  const dir = sink === "s3" ? `bench-${process.pid}-${compression}` : path.join(work, `${compression}-${sink}`);
  const child = spawnSync(process.execPath, [path.join(here, "child.ts"), input, dir, compression, sink], {
    encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`pipeline run (${compression} → ${sink}) failed with status ${child.status}`);
  const r = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as ChildResult;
  if (r.rawSha256 !== inputSha) throw new Error(`pipeline raw sha256 ${r.rawSha256} differs from the input's ${inputSha}`);
  if (compression === "zstd" && r.file !== undefined && spawnSync("zstd", ["-q", "-t", r.file]).status !== 0) {
    throw new Error("zstd -t refused the stored file");
  }
  if (sink === "s3" && s3) {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey, AWS_DEFAULT_REGION: "us-east-1" };
    spawnSync(aws, ["--endpoint-url", s3.endpoint, "s3", "rm", "--recursive", "--only-show-errors", `s3://${s3.bucket}/${dir}/`], { env, stdio: "inherit" });
  } else {
    rmSync(dir, { recursive: true, force: true });
  }
  return r;
}

/** Runs a peer command under /usr/bin/time; `out` is the file whose size is the stored size (else the input's). */
function peer(name: string, argv: string[], out: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const timeFile = path.join(work, "time.txt");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, ...argv], { stdio: "inherit", env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${name} failed`);
  const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  const stored = out === undefined ? size : statSync(out).size;
  if (out !== undefined) rmSync(out);
  return row(name, seconds, name.includes("zstd") && out === undefined ? Number.NaN : stored, rss, user + sys);
}

function s3Coordinates(): { endpoint: string; accessKey: string; secretKey: string; bucket: string } | undefined {
  const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey, S3_BUCKET: bucket } = process.env;
  if (!endpoint || !accessKey || !secretKey || !bucket) return undefined;
  return { endpoint, accessKey, secretKey, bucket };
}

function firstLine(command: string, argv: string[]): string {
  const r = spawnSync(command, argv, { encoding: "utf8" });
  return `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n")[0] ?? command;
}

function row(name: string, seconds: number, stored: number, rssKiB: number, cpuSeconds: number): string {
  const storedCols = Number.isNaN(stored) ? `${"-".padStart(11)} ${"-".padStart(6)}` : `${mib(stored).toFixed(1).padStart(11)} ${(size / stored).toFixed(2).padStart(6)}`;
  return `${name.padEnd(36)} ${(mib(size) / seconds).toFixed(0).padStart(8)} ${seconds.toFixed(2).padStart(8)} ${cpuSeconds.toFixed(2).padStart(8)} ${storedCols} ${(rssKiB / 1024).toFixed(0).padStart(13)}`;
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
    out[a.slice(2)] = argv[++i] ?? "";
  }
  return out;
}
