/**
 * Benchmark of the Redis engine (not a test; run on demand):
 *
 *   scripts/with-node node bench/redis/run.ts [--keys 300000] [--seed 1] [--repeat 3] [--json FILE] [--scale S]
 *
 * Starts a redis-server of its own (free port, temporary directory, no persistence, diskless sync with
 * `repl-diskless-sync-delay 0`), loads deterministic mixed data with `redis-cli --pipe` (the commands are
 * cached under the user cache folder), then in the same run, alternating the two sides `--repeat` times:
 *   - RDB fetch: `redis-cli --rdb file` beside stackvault's replication fetch into a file, checked as it passes
 *     (CRC-64, every record parsed) as a backup does (MiB/s);
 *   - live restore into the emptied server: `redis-cli --pipe` of the RESTORE commands stackvault sends
 *     (made once from the fetched RDB) beside stackvault's live restore of the RDB file as a stack restore runs
 *     it (the fetch's check vouches for the file, which the restore's preflight re-hashed: one pass), and the
 *     same with its own check pass first (a restore nothing vouches for) (keys/s); and `redis-cli --pipe` of
 *     the original write commands, for scale.
 * After each stackvault restore, `DEBUG DIGEST` must equal the digest of the loaded data.
 * Prints /proc/loadavg before every measurement: the machine is shared, compare rows of one run.
 * With `--json FILE` it also writes the medians and ratios as a bench/common/result.ts document (`--scale` only
 * labels it, for bench/run.ts). Goals (README.md here): fetch ≥ 0.9× and live restore ≥ 0.8× the peer.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { optionArgs } from "../common/args.ts";
import { atLeast, atMost, figure, loadAverage, median as medianOf, writeResults, type BenchRow } from "../common/result.ts";
import { generateCommands } from "./generate.ts";
import { MALLOC_ENV, NODE_FLAGS } from "../../src/core/node-flags.ts";

const GENERATOR_VERSION = 1;
const here = path.dirname(fileURLToPath(import.meta.url));
const args = optionArgs(process.argv.slice(2));
const keys = Number(args["keys"] ?? 300_000);
const seed = Number(args["seed"] ?? 1);
const repeat = Number(args["repeat"] ?? 3);

const cacheDir = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "stackvault", "bench");
mkdirSync(cacheDir, { recursive: true });
const commands = path.join(cacheDir, `redis-v${GENERATOR_VERSION}-seed${seed}-${keys}.resp`);
if (!existsSync(commands)) {
  console.log(`generating ${keys} keys (seed ${seed}) into ${commands} …`);
  await generateCommands(`${commands}.partial`, keys, seed);
  renameSync(`${commands}.partial`, commands);
}

const work = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-redis-"));
const port = await freePort();
const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", work, "--save", "", "--appendonly", "no", "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0", "--enable-debug-command", "yes", "--logfile", path.join(work, "redis.log")], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}`;
const loadBefore = loadAverage();
const fetchRows: Row[] = [];
const restoreRows: Row[] = [];
try {
  await waitForPing();
  console.log(`node ${process.version}, ${os.cpus().length} CPUs, ${firstLine("redis-server", ["--version"])}`);
  cli(["FLUSHALL"]);
  const load = peer(["sh", "-c", `redis-cli -p ${port} --pipe < ${commands}`]);
  const digest = cli(["DEBUG", "DIGEST"]);
  const total = dbKeys();
  console.log(`loaded ${total} keys in ${load.seconds.toFixed(1)} s (redis-cli --pipe of the write commands), used_memory ${cli(["INFO", "memory"]).match(/used_memory_human:(\S+)/)?.[1]}`);

  const rdbPeer = path.join(work, "peer.rdb");
  const rdbOurs = path.join(work, "ours.rdb");
  let checkedAtBackup = "check";
  for (let i = 0; i < repeat; i++) {
    loadavg();
    const p = peer(["redis-cli", "-p", String(port), "--rdb", rdbPeer]);
    fetchRows.push({ name: "redis-cli --rdb", seconds: p.seconds, cpuSeconds: p.cpuSeconds, maxRssKiB: p.maxRssKiB, amount: statSync(rdbPeer).size });
    loadavg();
    const o = child(["fetch", url, rdbOurs]);
    checkedAtBackup = `${o.rdbVersion}:${(o.dbs ?? []).join(",")}`;
    fetchRows.push({ name: "stackvault fetch", seconds: o.seconds, cpuSeconds: o.cpuSeconds, maxRssKiB: o.maxRssKiB, amount: o.bytes ?? 0 });
  }
  const restoreCommands = path.join(work, "restore.resp");
  const made = child(["resp", rdbOurs, restoreCommands]);
  console.log(`RESTORE commands for redis-cli --pipe: ${made.keys} keys, ${mib(statSync(restoreCommands).size).toFixed(1)} MiB`);

  for (let i = 0; i < repeat; i++) {
    cli(["FLUSHALL"]);
    loadavg();
    const p = peer(["sh", "-c", `redis-cli -p ${port} --pipe < ${restoreCommands} > /dev/null`]);
    check(digest, "redis-cli --pipe of RESTORE");
    restoreRows.push({ name: "redis-cli --pipe (RESTORE cmds)", seconds: p.seconds, cpuSeconds: p.cpuSeconds, maxRssKiB: p.maxRssKiB, amount: total });
    cli(["FLUSHALL"]);
    loadavg();
    const o = child(["restore", url, rdbOurs, checkedAtBackup]);
    check(digest, "stackvault live restore");
    restoreRows.push({ name: "stackvault live restore", seconds: o.seconds, cpuSeconds: o.cpuSeconds, maxRssKiB: o.maxRssKiB, amount: o.keys ?? 0 });
    cli(["FLUSHALL"]);
    loadavg();
    const c = child(["restore", url, rdbOurs, "check"]);
    check(digest, "stackvault live restore with its check pass");
    restoreRows.push({ name: "stackvault live restore, check pass", seconds: c.seconds, cpuSeconds: c.cpuSeconds, maxRssKiB: c.maxRssKiB, amount: c.keys ?? 0 });
  }
  cli(["FLUSHALL"]);
  loadavg();
  const w = peer(["sh", "-c", `redis-cli -p ${port} --pipe < ${commands} > /dev/null`]);
  restoreRows.push({ name: "redis-cli --pipe (write cmds)", seconds: w.seconds, cpuSeconds: w.cpuSeconds, maxRssKiB: w.maxRssKiB, amount: total });

  console.log(`\nRDB fetch (${mib(statSync(rdbOurs).size).toFixed(1)} MiB):`);
  table(fetchRows, "MiB/s", (r) => mib(r.amount) / r.seconds);
  const fetchRatio = ratio(fetchRows, "stackvault fetch", "redis-cli --rdb", (r) => r.amount / r.seconds);
  console.log(`\nLive restore (${total} keys):`);
  table(restoreRows, "keys/s", (r) => r.amount / r.seconds);
  const restoreRatio = ratio(restoreRows, "stackvault live restore", "redis-cli --pipe (RESTORE cmds)", (r) => r.amount / r.seconds);
  const checkingRatio = ratio(restoreRows, "stackvault live restore, check pass", "redis-cli --pipe (RESTORE cmds)", (r) => r.amount / r.seconds);
  const summarize = (rows: Row[], unit: string, per: (r: Row) => number): BenchRow[] => [...new Set(rows.map((r) => r.name))].map((name) => {
    const mine = rows.filter((r) => r.name === name);
    const seconds = medianOf(mine.map((r) => r.seconds));
    return { name: `${name}${unit === "MiB/s" ? " (fetch)" : ""}`, side: name.startsWith("stackvault") ? "stackvault" : name.includes("write cmds") ? "info" : "peer", seconds, cpuSeconds: medianOf(mine.map((r) => r.cpuSeconds)), peakRssMiB: Math.max(...mine.map((r) => r.maxRssKiB)) / 1024, rate: medianOf(mine.map(per)), unit };
  });
  const rss = Math.max(...[...fetchRows, ...restoreRows].filter((r) => r.name.startsWith("stackvault")).map((r) => r.maxRssKiB)) / 1024;
  writeResults(args["json"], [{
    bench: "redis",
    scale: Number(args["scale"] ?? 1),
    dataset: `${total} keys over databases 0–2 (seed ${seed}), RDB ${mib(statSync(rdbOurs).size).toFixed(1)} MiB`,
    rows: [...summarize(fetchRows, "MiB/s", (r) => mib(r.amount) / r.seconds), ...summarize(restoreRows, "keys/s", (r) => r.amount / r.seconds)],
    ratios: [atLeast("RDB fetch speed ÷ redis-cli --rdb", fetchRatio, 0.9), atLeast("live restore speed ÷ redis-cli --pipe of the RESTORE commands", restoreRatio, 0.8), figure("the same with a check pass of its own (a restore outside a preflight)", checkingRatio, "×"), atMost("peak RSS of stackvault's fetch and restore", rss, 256, "MiB")],
    loadAverage: { before: loadBefore, after: loadAverage() },
  }]);
} finally {
  server.kill("SIGTERM");
  await new Promise((resolve) => server.once("exit", resolve));
  rmSync(work, { recursive: true, force: true });
}

// --- internal ---

interface Row {
  name: string;
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  amount: number;
}

interface Measured {
  seconds: number;
  cpuSeconds: number;
  maxRssKiB: number;
  bytes?: number;
  keys?: number;
  rdbVersion?: number;
  dbs?: number[];
}

function cli(argv: string[]): string {
  const r = spawnSync("redis-cli", ["-p", String(port), ...argv], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`redis-cli ${argv.join(" ")} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function dbKeys(): number {
  return [...cli(["INFO", "keyspace"]).matchAll(/keys=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

function check(digest: string, what: string): void {
  const now = cli(["DEBUG", "DIGEST"]);
  if (now !== digest) throw new Error(`after ${what}, DEBUG DIGEST is ${now}, expected ${digest}`);
}

/** Runs a peer command under /usr/bin/time. */
function peer(argv: string[]): Measured {
  const timeFile = path.join(work, "time.txt");
  const started = process.hrtime.bigint();
  const run = spawnSync("/usr/bin/time", ["-f", "%M %U %S", "-o", timeFile, ...argv], { stdio: ["ignore", "ignore", "inherit"] });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0) throw new Error(`${argv.join(" ")} exited with ${run.status}`);
  const [rss = 0, user = 0, sys = 0] = (readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "").split(" ").map(Number);
  return { seconds, cpuSeconds: user + sys, maxRssKiB: rss };
}

function child(argv: string[]): Measured {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, path.join(here, "child.ts"), ...argv], { env: { ...process.env, ...MALLOC_ENV }, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
  if (run.status !== 0) throw new Error(`child ${argv[0]} exited with ${run.status}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Measured;
}

function loadavg(): void {
  console.log(`  loadavg ${readFileSync("/proc/loadavg", "utf8").trim()}`);
}

function table(rows: Row[], unit: string, rate: (r: Row) => number): void {
  console.log(`| run                              | ${unit.padStart(8)} | seconds | CPU s | peak RSS MiB |`);
  console.log(`|----------------------------------|---------:|--------:|------:|-------------:|`);
  for (const r of rows) {
    console.log(`| ${r.name.padEnd(32)} | ${rate(r).toFixed(unit === "MiB/s" ? 0 : 0).padStart(8)} | ${r.seconds.toFixed(2).padStart(7)} | ${r.cpuSeconds.toFixed(2).padStart(5)} | ${(r.maxRssKiB / 1024).toFixed(0).padStart(12)} |`);
  }
}

function ratio(rows: Row[], ours: string, theirs: string, rate: (r: Row) => number): number {
  const median = (name: string): number => medianOf(rows.filter((r) => r.name === name).map(rate));
  const value = median(ours) / median(theirs);
  console.log(`median ${ours} / ${theirs}: ${value.toFixed(2)}×`);
  return value;
}

async function waitForPing(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (spawnSync("redis-cli", ["-p", String(port), "PING"], { encoding: "utf8" }).stdout.includes("PONG")) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("redis-server did not start");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function firstLine(command: string, argv: string[]): string {
  return (spawnSync(command, argv, { encoding: "utf8" }).stdout ?? "").split("\n")[0] ?? "";
}

function mib(bytes: number): number {
  return bytes / 1024 / 1024;
}

