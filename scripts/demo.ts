/**
 * `npm run demo` — the whole cycle on real local services, as an operator would run it:
 *
 *   1. start the local services (Neo4j + APOC, the Qdrant test server, Redis with RQ jobs in every state; the
 *      others the harness runs);
 *   2. load the reference KnowWhere dataset;
 *   3. `stackvault backup` to a local folder target;
 *   4. wipe the stores;
 *   5. `stackvault restore --latest`;
 *   6. prove that every node, relationship, point and key came back identical.
 *
 *   scripts/with-node npm run demo [-- --scale N] [--keep]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import neo4j from "neo4j-driver";
import { Redis } from "ioredis";
import { diffFingerprints, stackFingerprint } from "../test/fixtures/compare/index.ts";
import type { StackCoordinates } from "../test/fixtures/compare/index.ts";
import { qdrant } from "../test/fixtures/qdrant-data.ts";
import { seedStack, wipeNeo4j } from "../test/fixtures/seed.ts";


const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { scale: { type: "string", default: "1" }, keep: { type: "boolean", default: false } } });
const scale = Number(values.scale);
const say = (line: string) => console.log(`\n=== ${line}`);

say("Starting the local services");
run(process.execPath, [path.join(root, "test/harness/cli.ts"), "start"]);
const env = readEnv(path.join(root, ".cache/services/env"));

const coords: StackCoordinates = {
  neo4j: { uri: env.NEO4J_URI!, user: env.NEO4J_USER!, password: env.NEO4J_PASSWORD! },
  qdrant: { url: env.QDRANT_URL! },
  redis: { url: env.REDIS_URL!, databases: [0, 1, 2] },
};

say(`Loading the reference KnowWhere dataset (scale ${scale}) into Neo4j, Qdrant and Redis`);
await seedStack(coords, { scale, seed: 42, rq: { python: env.RQ_PYTHON!, jobsDir: env.RQ_JOBS_MODULE! }, log: (m) => console.log(`  ${m}`) });
const before = await stackFingerprint(coords);

const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-demo-"));
const common = ["--stack", "KnowWhere-Demo", "--target", `file://${dir}`, "--neo4j-uri", env.NEO4J_URI!, "--qdrant-url", env.QDRANT_URL!, "--redis-url", env.REDIS_URL!, "--services-controller", "none"];
const cliEnv: NodeJS.ProcessEnv = { ...process.env, NEO4J_PASSWORD: env.NEO4J_PASSWORD! };
delete cliEnv.REDIS_PASSWORD;

say("stackvault backup");
run(process.execPath, [path.join(root, "src/cli/main.ts"), "backup", ...common], cliEnv);

say("Wiping the stores");
await wipe(coords);
console.log("  stores emptied");

say("stackvault restore --latest");
run(process.execPath, [path.join(root, "src/cli/main.ts"), "restore", "--latest", "--yes", ...common], cliEnv);

say("Comparing every item with what was there before the backup");
const after = await stackFingerprint(coords);
// RQ's bookkeeping changes on purpose: a job whose worker died is queued again, stale worker keys go.
const rq = (line: string) => /^redis: .*\bdb0 \w+ 'rq:|^redis: keys:db0 expected/.test(line);
const all = diffFingerprints(before, after, 1000);
const differences = all.filter((d) => !rq(d));
if (!values.keep) rmSync(dir, { recursive: true, force: true });
if (differences.length > 0) {
  console.error(`✗ the restored stack differs:\n  ${differences.join("\n  ")}`);
  process.exit(1);
}
for (const [store, fp] of Object.entries(after)) console.log(`  ✓ ${store}: identical (${Object.entries(fp.counts).map(([k, v]) => `${v} ${k}`).join(", ")})`);
if (all.some(rq)) console.log(`  ✓ RQ: jobs of the worker that was gone are queued again and stale worker keys removed (${all.filter(rq).length} bookkeeping keys changed)`);
console.log("\nDemo passed: backup, wipe and restore gave back identical content.");

// --- internal ---

function run(cmd: string, args: string[], childEnv: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: childEnv, cwd: root });
  if (r.status !== 0) {
    console.error(`demo: '${path.basename(args[1] ?? cmd)} ${args[2] ?? ""}' failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

function readEnv(file: string): Record<string, string> {
  return Object.fromEntries(readFileSync(file, "utf8").split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

async function wipe(c: StackCoordinates): Promise<void> {
  if (c.redis) {
    const redis = new Redis(c.redis.url);
    await redis.flushall();
    redis.disconnect();
  }
  if (c.qdrant) {
    for (const { name } of ((await qdrant(c.qdrant, "GET", "/collections")) as { collections: { name: string }[] }).collections) {
      await qdrant(c.qdrant, "DELETE", `/collections/${encodeURIComponent(name)}`);
    }
  }
  if (c.neo4j) {
    const driver = neo4j.driver(c.neo4j.uri, neo4j.auth.basic(c.neo4j.user, c.neo4j.password));
    try {
      await wipeNeo4j(driver);
    } finally {
      await driver.close();
    }
  }
}
