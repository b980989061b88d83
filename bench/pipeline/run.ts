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
 * Not measured yet: the S3 side (`stackvault` into the S3 server beside `aws s3 cp` from Debian `awscli` of
 * the same bytes). It needs the harness's S3 server and awscli; add it here as a third row when both exist.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { generateDump, GENERATOR_VERSION } from "./generate.ts";

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
const rows: string[] = [];
try {
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${(spawnSync("zstd", ["--version"]).stdout ?? "").toString().trim()}`);
  const runs = compressions.flatMap((c) => (c === "zstd" ? [[c, "local"], [c, "file"]] : [[c, "local"]]));
  for (const [compression = "zstd", sink = "local"] of runs) {
    const child = spawnSync(process.execPath, [path.join(here, "child.ts"), input, path.join(work, `${compression}-${sink}`), compression, sink], {
      encoding: "utf8", stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`pipeline run (${compression}) failed with status ${child.status}`);
    const r = JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as ChildResult;
    if (r.rawSha256 !== inputSha) throw new Error(`pipeline raw sha256 ${r.rawSha256} differs from the input's ${inputSha}`);
    if (compression === "zstd" && spawnSync("zstd", ["-q", "-t", r.file]).status !== 0) throw new Error("zstd -t refused the stored file");
    rows.push(row(`stackvault ${compression} → ${sink === "file" ? "plain file" : "local target"}`, r.seconds, r.storedBytes, r.maxRssKiB, r.cpuSeconds));
    rmSync(path.join(work, `${compression}-${sink}`), { recursive: true, force: true });
  }
  for (const [name, script] of [
    ["zstd -3 | cat > file", 'zstd -3 -q -c < "$1" | cat > "$2"'],
    ["zstd -3 | cat > file; sync file", 'zstd -3 -q -c < "$1" | cat > "$2" && sync "$2"'],
  ] as const) {
    const peerOut = path.join(work, "peer.zst");
    const timeFile = path.join(work, "time.txt");
    const started = process.hrtime.bigint();
    const peer = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, "sh", "-c", script, "sh", input, peerOut], { stdio: "inherit" });
    const peerSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (peer.status !== 0) throw new Error(`${name} failed`);
    // /usr/bin/time reports the shell's children: CPU time summed over zstd and cat, RSS of the largest.
    const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
    rows.push(row(name, peerSeconds, statSync(peerOut).size, rss, user + sys));
    rmSync(peerOut);
  }
  console.log(`\ninput: ${mib(size)} MiB, sha256 ${inputSha.slice(0, 16)}…, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}\n`);
  console.log(`${"run".padEnd(36)} ${"MiB/s".padStart(8)} ${"seconds".padStart(8)} ${"CPU s".padStart(8)} ${"stored MiB".padStart(11)} ${"ratio".padStart(6)} ${"peak RSS MiB".padStart(13)}`);
  for (const line of rows) console.log(line);
  console.log("\nS3 side (stackvault → S3 server vs `aws s3 cp`): not measured by this script yet.");
} finally {
  rmSync(work, { recursive: true, force: true });
}

// --- internal ---

interface ChildResult { seconds: number; storedBytes: number; rawSha256: string; file: string; maxRssKiB: number; cpuSeconds: number }

function row(name: string, seconds: number, stored: number, rssKiB: number, cpuSeconds: number): string {
  return `${name.padEnd(36)} ${(mib(size) / seconds).toFixed(0).padStart(8)} ${seconds.toFixed(2).padStart(8)} ${cpuSeconds.toFixed(2).padStart(8)} ${mib(stored).toFixed(1).padStart(11)} ${(size / stored).toFixed(2).padStart(6)} ${(rssKiB / 1024).toFixed(0).padStart(13)}`;
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
