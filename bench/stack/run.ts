/**
 * End-to-end benchmark of the whole stack through the real command line (not a test; run on demand, with the
 * test services started: `npm run services -- start`):
 *
 *   scripts/with-node node bench/stack/run.ts [--scales 1,10] [--seed 42] [--compare 1|all|none] [--json FILE]
 *     [--cli bundle|source]
 *
 * The CLI measured is by default the single-file bundle the package ships (what a remote run executes on the
 * host); `--cli source` runs the checkout's TypeScript sources instead (slower start-up, more memory).
 *
 * For each scale: loads the reference KnowWhere dataset (`npm run seed`'s loader: Neo4j 15,420 nodes and
 * 48,320 relationships, Qdrant 24,790 points in 3 collections, Redis 1,240 keys and RQ jobs, per unit of scale)
 * into the test services, then runs `stackvault backup --json` of the whole stack to the S3 test server (zstd,
 * validation on, Redis databases 0–2, services controller `none`), empties the three stores (a stack recreated empty), and runs
 * `stackvault restore --latest --yes --from-stack … --json` into a stack of another name (the stack recreated; see below). S3 traffic goes through a counting proxy (s3-counter.ts), so the
 * requests of each run are counted by kind. Each CLI run is measured under `/usr/bin/time` (wall, CPU, peak
 * RSS) and its `[n/7]` and `[n/9]` steps are timed from its JSON step events. With `--compare` (a scale, `all` or
 * `none`; default 1: the content of a 10× stack takes long to read twice) the stores' content after the restore must equal the content before the backup (RQ's bookkeeping of
 * the worker aside), else the benchmark fails.
 *
 * The peer is the seed's own script on this dataset: 47 s for a backup and 3 min 32 s for a restore. Goals
 * (issue 7): backup ≤ 10 s and restore ≤ 20 s at 1× on 2 cores; peak RSS ≤ 256 MiB and flat from 1× to 10×.
 *
 * Why another stack name: the seed's Test 3 restores a stack recreated under another name from the first
 * one's backups (`--from-stack`), the Monday case where a stack comes back as a new one; the bench does the same.
 */
import { parseArgs } from "node:util";
import neo4j from "neo4j-driver";
import { Redis } from "ioredis";
import { atMost, figure, loadAverage, writeResults, type BenchResult } from "../common/result.ts";
import { loadServicesEnv } from "../common/services-env.ts";
import { coordinatesFromEnv, diffFingerprints, stackFingerprint } from "../../test/fixtures/compare/index.ts";
import { qdrant } from "../../test/fixtures/qdrant-data.ts";
import { seedStack, wipeNeo4j } from "../../test/fixtures/seed.ts";
import { makeBenchBucket, removeBenchBucket } from "../common/s3-bucket.ts";
import { cliEntry, runCliMeasured, type CliRun } from "./cli-run.ts";
import { startS3Counter } from "./s3-counter.ts";

/** The seed's figures on the reference dataset (its own measurements, quoted by issue 7). */
export const SEED_BACKUP_SECONDS = 47;
export const SEED_RESTORE_SECONDS = 212;
export const GOAL_BACKUP_SECONDS = 10;
export const GOAL_RESTORE_SECONDS = 20;
export const GOAL_RSS_MIB = 256;

const { values } = parseArgs({ options: { scales: { type: "string", default: "1,10" }, seed: { type: "string", default: "42" }, compare: { type: "string", default: "1" }, json: { type: "string" }, cli: { type: "string", default: "bundle" } } });
if (values.cli !== "bundle" && values.cli !== "source") throw new Error(`--cli ${values.cli}: bundle or source`);
const entry = await cliEntry(values.cli);
const scales = (values.scales ?? "1").split(",").map(Number);
if (scales.some((s) => !(s > 0))) throw new Error(`--scales takes positive numbers, not ${values.scales}`);
loadServicesEnv();
const env = process.env as Record<string, string | undefined>;
/** The reference dataset's Redis databases: the test services' RQ worker keeps its own keys in database 15. */
const REDIS_DBS = [0, 1, 2];
const coords = coordinatesFromEnv(env);
if (coords.redis) coords.redis.databases = REDIS_DBS;
const s3 = await makeBenchBucket({ endpoint: need("S3_ENDPOINT"), accessKey: need("S3_ACCESS_KEY"), secretKey: need("S3_SECRET_KEY") }, "stack");
const counter = await startS3Counter(s3.endpoint);
const prefix = `bench-stack-${process.pid}`;
const results: BenchResult[] = [];
try {
  for (const scale of scales) results.push(await benchScale(scale));
  const byScale = new Map(results.map((r) => [r.scale, r]));
  const small = byScale.get(Math.min(...scales));
  const big = byScale.get(Math.max(...scales));
  if (small && big && small !== big) {
    for (const op of ["backup", "restore"] as const) {
      const rss = (r: BenchResult) => r.rows.find((row) => row.name === `stackvault ${op}`)?.peakRssMiB ?? Number.NaN;
      big.ratios.push(atMost(`peak RSS of ${op} at ${big.scale}× ÷ at ${small.scale}× (flat)`, rss(big) / rss(small), 1.25, "×"));
    }
  }
  writeResults(values.json, results);
  for (const r of results) {
    console.log(`\nscale ${r.scale}: ${r.dataset}`);
    for (const row of r.rows) console.log(`  ${row.name.padEnd(34)} ${row.seconds.toFixed(1).padStart(7)} s  CPU ${row.cpuSeconds?.toFixed(1) ?? "-"} s  peak RSS ${row.peakRssMiB?.toFixed(0) ?? "-"} MiB`);
    for (const q of r.ratios) console.log(`  ${q.met === undefined ? "       " : q.met ? "MET    " : "NOT MET"} ${q.name}: ${q.value.toFixed(2)} ${q.unit}${q.goal ? ` (goal ${q.goal})` : ""}`);
  }
} finally {
  await counter.close();
  await removeBenchBucket(s3);
}

// --- internal ---

async function benchScale(scale: number): Promise<BenchResult> {
  const before = loadAverage();
  console.log(`== scale ${scale}: seeding the reference dataset …`);
  const seeded = await seedStack(coords, { scale, seed: Number(values.seed), ...(env.RQ_PYTHON && env.RQ_JOBS_MODULE ? { rq: { python: env.RQ_PYTHON, jobsDir: env.RQ_JOBS_MODULE } } : {}) });
  const dataset = describe(seeded);
  console.log(`   ${dataset}; seeded in ${Object.values(seeded.seconds).reduce((a, b) => a + b, 0).toFixed(0)} s`);
  const compare = values.compare === "all" || values.compare === String(scale);
  const fingerprint = compare ? await stackFingerprint(coords) : undefined;

  const stack = `bench-${String(scale).replace(".", "_")}`;
  const common = ["--target", `s3://${s3.bucket}/${prefix}`, "--s3-endpoint", counter.endpoint, "--region", "us-east-1",
    "--neo4j-uri", coords.neo4j?.uri ?? "", "--neo4j-user", coords.neo4j?.user ?? "neo4j", "--redis-url", coords.redis?.url ?? "", "--redis-dbs", REDIS_DBS.join(","), "--qdrant-url", coords.qdrant?.url ?? "", "--services-controller", "none"];
  const cliEnv = { PATH: env.PATH ?? "", HOME: env.HOME ?? "", NODE_OPTIONS: "--disable-warning=ExperimentalWarning", NEO4J_PASSWORD: coords.neo4j?.password ?? "", AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey, AWS_EC2_METADATA_DISABLED: "true" };

  counter.reset();
  console.log("   stackvault backup …");
  const backup = await runCliMeasured("backup", ["backup", "--stack", stack, ...common], cliEnv, entry);
  const backupRequests = counter.counts();
  console.log(`   backup: ${backup.seconds.toFixed(1)} s, ${counter.total()} S3 requests`);

  await wipeStack();
  counter.reset();
  console.log("   stackvault restore …");
  const restore = await runCliMeasured("restore", ["restore", "--latest", "--yes", "--stack", `${stack}-recreated`, "--from-stack", stack, ...common], cliEnv, entry);
  const restoreRequests = counter.counts();
  console.log(`   restore: ${restore.seconds.toFixed(1)} s, ${counter.total()} S3 requests`);

  if (fingerprint) {
    const rqBookkeeping = /^redis: .*\bdb0 \w+ 'rq:|^redis: keys:db0 expected/;
    const diff = diffFingerprints(fingerprint, await stackFingerprint(coords)).filter((d) => !rqBookkeeping.test(d));
    if (diff.length > 0) throw new Error(`the restored stack differs from the backed-up one:\n${diff.join("\n")}`);
    console.log("   content after the restore equals the content before the backup");
  }
  const storedBytes = Number(backup.result.storedBytes ?? Number.NaN);
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    bench: "stack",
    scale,
    dataset: `${dataset}; backup stored ${(storedBytes / 2 ** 20).toFixed(1)} MiB (zstd)${fingerprint ? "; restored content compared" : ""}`,
    rows: [row("stackvault backup", backup), row("stackvault restore", restore), ...(scale === 1 ? [
      { name: "seed script backup (quoted)", side: "peer" as const, seconds: SEED_BACKUP_SECONDS, note: "the seed's own measurement on this dataset" },
      { name: "seed script restore (quoted)", side: "peer" as const, seconds: SEED_RESTORE_SECONDS, note: "the seed's own measurement on this dataset" }] : [])],
    ratios: [
      ...(scale === 1 ? [atMost("backup wall time", backup.seconds, GOAL_BACKUP_SECONDS, "s"), atMost("restore wall time", restore.seconds, GOAL_RESTORE_SECONDS, "s")] : [figure("backup wall time", backup.seconds, "s"), figure("restore wall time", restore.seconds, "s")]),
      ...(scale === 1 ? [figure("backup speed-up vs the seed's 47 s", SEED_BACKUP_SECONDS / backup.seconds, "×"), figure("restore speed-up vs the seed's 3 min 32 s", SEED_RESTORE_SECONDS / restore.seconds, "×")] : []),
      atMost("peak RSS of backup", backup.peakRssMiB, GOAL_RSS_MIB, "MiB"),
      atMost("peak RSS of restore", restore.peakRssMiB, GOAL_RSS_MIB, "MiB"),
      figure(`S3 requests per backup (${kinds(backupRequests)})`, total(backupRequests), "requests"),
      figure(`S3 requests per restore (${kinds(restoreRequests)})`, total(restoreRequests), "requests"),
    ],
    steps: [...backup.steps, ...restore.steps],
    loadAverage: { before, after: loadAverage() },
  };
}

function row(name: string, run: CliRun): BenchResult["rows"][number] {
  return { name, side: "stackvault", seconds: run.seconds, cpuSeconds: run.cpuSeconds, peakRssMiB: run.peakRssMiB };
}

/** Empties the three stores, as a stack recreated from scratch is. */
async function wipeStack(): Promise<void> {
  if (coords.neo4j) {
    const driver = neo4j.driver(coords.neo4j.uri, neo4j.auth.basic(coords.neo4j.user, coords.neo4j.password));
    try {
      await wipeNeo4j(driver);
    } finally {
      await driver.close();
    }
  }
  if (coords.redis) {
    const redis = new Redis(coords.redis.url);
    for (const db of REDIS_DBS) {
      await redis.select(db);
      await redis.flushdb();
    }
    redis.disconnect();
  }
  if (coords.qdrant) {
    const conn = coords.qdrant;
    const listed = (await qdrant(conn, "GET", "/collections")) as { collections: { name: string }[] };
    for (const c of listed.collections) await qdrant(conn, "DELETE", `/collections/${c.name}`);
  }
}

function describe(seeded: Awaited<ReturnType<typeof seedStack>>): string {
  const points = Object.values(seeded.qdrant ?? {}).reduce((a, b) => a + b, 0);
  const keys = Object.values(seeded.redis ?? {}).reduce((a, b) => a + b, 0);
  return `Neo4j ${seeded.neo4j?.nodes ?? 0} nodes, ${seeded.neo4j?.relationships ?? 0} relationships; Qdrant ${points} points; Redis ${keys} keys`;
}

function kinds(counts: Record<string, number>): string {
  return Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(", ");
}

function need(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: start the test services (npm run services -- start)`);
  return value;
}
