/**
 * The README's first command, as an operator runs it: `npm run demo` (here `node scripts/demo.ts`, what the npm
 * script runs) loads the reference dataset into the local services, backs it up, wipes the stores, restores
 * `latest` and compares every item. It must pass, print the seed-style step logs, and never print the secret.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { serviceEnv } from "../harness/env.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

test("npm run demo: the reference stack is backed up, wiped, restored and found identical", async () => {
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, "scripts", "demo.ts")], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", reject);
    child.on("close", (exit) => resolve({ code: exit, output }));
  });
  assert.equal(code, 0, output.slice(-3000));
  assert.match(output, /Demo passed: backup, wipe and restore gave back identical content\./);
  for (const step of ["[1/7]", "[7/7]", "[1/9]", "[9/9]"]) assert.ok(output.includes(step), `the log shows ${step}`);
  assert.match(output, /✓ neo4j: identical \(15420 nodes, 48320 relationships/);
  assert.ok(!output.includes(serviceEnv("NEO4J_PASSWORD")), "the Neo4j password is never printed");
});
