/**
 * The test command behind `npm test` (after lint and type-check): starts the real test services through the
 * harness (idempotent; installs what is missing into the cache), then runs every `*.test.ts` file with
 * node's test runner, with the services' coordinates in the environment. Exits with the runner's code.
 *
 *   node test/run.ts [file-or-glob …]     (default: every test file)
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const node = process.execPath;

const started = spawnSync(node, [path.join(root, "test/harness/cli.ts"), "start"], { stdio: "inherit", cwd: root });
if (started.status !== 0) {
  console.error("test: the test services did not start (see above); no test was run.");
  process.exit(started.status ?? 1);
}

const envFile = path.join(root, ".cache/services/env");
const serviceEnv: Record<string, string> = {};
for (const line of readFileSync(envFile, "utf8").split("\n")) {
  const eq = line.indexOf("=");
  if (eq > 0) serviceEnv[line.slice(0, eq)] = line.slice(eq + 1);
}

const patterns = process.argv.slice(2);
const args = [
  "--test",
  "--test-reporter=spec",
  // One file at a time: the files share one Neo4j database (community edition has no other), one Redis and
  // one S3 bucket, and several of them wipe a store.
  "--test-concurrency=1",
  "--test-timeout=600000",
  // A file whose tests have all ended is stopped even if a handle keeps its process alive (a client left
  // reconnecting to a server its test stopped): one leak must not hold the whole run until CI's limit.
  "--test-force-exit",
  ...(patterns.length > 0 ? patterns : ["test/**/*.test.ts"]),
];
const run = spawnSync(node, args, { stdio: "inherit", cwd: root, env: { ...process.env, ...serviceEnv } });
process.exit(run.status ?? 1);
