import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { missingNodeFlags, NODE_FLAGS } from "../../src/core/node-flags.ts";

test("every stackvault V8 flag is missing from a bare node", () => {
  assert.deepEqual(missingNodeFlags([]), [...NODE_FLAGS]);
  assert.ok(NODE_FLAGS.includes("--max-semi-space-size=8"));
  assert.ok(NODE_FLAGS.includes("--heap-growing-percent=50"));
});

test("every flag is one V8 knows", () => {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, "-e", "process.stdout.write('ok')"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "ok");
});

test("a flag already given on the command line or in NODE_OPTIONS, with any value, is not added again", () => {
  assert.deepEqual(missingNodeFlags(["--import", "x.mjs", "--max-semi-space-size=2", "--heap-growing-percent=20"]), []);
  assert.deepEqual(missingNodeFlags([], "--enable-source-maps --max-semi-space-size=16 --heap-growing-percent=80"), []);
  assert.deepEqual(missingNodeFlags(["--max-semi-space-size=2"]), ["--heap-growing-percent=50"]);
  assert.deepEqual(missingNodeFlags(["--max-semi-space-size-other"], "--stack-size=100"), [...NODE_FLAGS]);
});
