import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { MALLOC_ENV, missingMallocEnv, missingNodeFlags, NODE_FLAGS, nodeCommand } from "../../src/core/node-flags.ts";

test("every stackvault V8 flag is missing from a bare node", () => {
  assert.deepEqual(missingNodeFlags([]), [...NODE_FLAGS]);
  assert.ok(NODE_FLAGS.includes("--max-semi-space-size=8"));
  assert.ok(NODE_FLAGS.includes("--heap-growing-percent=50"));
  assert.ok(NODE_FLAGS.includes("--initial-old-space-size=48"));
  assert.ok(NODE_FLAGS.includes("--no-concurrent-recompilation"));
  assert.ok(NODE_FLAGS.includes("--no-concurrent-sparkplug"));
  assert.ok(NODE_FLAGS.includes("--expose-gc"));
});

test("every flag is one V8 knows", () => {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, "-e", "process.stdout.write(typeof gc)"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "function");
});

test("a flag already given on the command line or in NODE_OPTIONS, with any value or polarity, is not added again", () => {
  assert.deepEqual(missingNodeFlags(["--import", "x.mjs", "--max-semi-space-size=2", "--heap-growing-percent=20", "--initial-old-space-size=64", "--concurrent-recompilation", "--no-concurrent-sparkplug", "--expose-gc"]), []);
  assert.deepEqual(missingNodeFlags([], "--enable-source-maps --max-semi-space-size=16 --heap-growing-percent=80 --initial-old-space-size=64 --no-concurrent-recompilation --concurrent-sparkplug --expose-gc"), []);
  assert.deepEqual(missingNodeFlags(["--max-semi-space-size=2", "--concurrent-sparkplug"]), ["--heap-growing-percent=50", "--initial-old-space-size=48", "--no-concurrent-recompilation", "--expose-gc"]);
  assert.deepEqual(missingNodeFlags(["--max-semi-space-size-other"], "--stack-size=100"), [...NODE_FLAGS]);
});

test("malloc settings: only those the environment does not set are added", () => {
  assert.deepEqual(missingMallocEnv({}), { ...MALLOC_ENV });
  assert.deepEqual(missingMallocEnv({ MALLOC_ARENA_MAX: "4" }), { MALLOC_MMAP_THRESHOLD_: "131072" });
  assert.deepEqual(missingMallocEnv({ ...MALLOC_ENV }), {});
});

test("the host command sets the malloc settings through env and passes the flags", () => {
  const { program, args } = nodeCommand(process.execPath);
  const run = spawnSync(program, [...args, "-e", "process.stdout.write(JSON.stringify([process.env.MALLOC_ARENA_MAX, process.env.MALLOC_MMAP_THRESHOLD_, process.execArgv]))"], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const [arenas, threshold, execArgv] = JSON.parse(run.stdout) as [string, string, string[]];
  assert.deepEqual([arenas, threshold, execArgv.slice(0, NODE_FLAGS.length)], ["2", "131072", [...NODE_FLAGS]]);
});

test("bin/stackvault relaunches itself once, with the flags and the malloc settings", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-flags-"));
  try {
    // Preloaded in both the first process and the relaunched one: each says what it runs with.
    const probe = path.join(dir, "probe.mjs");
    writeFileSync(probe, "process.stderr.write(`probe ${JSON.stringify([process.env.MALLOC_ARENA_MAX ?? null, process.env.MALLOC_MMAP_THRESHOLD_ ?? null, process.execArgv])}\\n`);\n");
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import ${probe}` };
    for (const name of Object.keys(MALLOC_ENV)) delete env[name];
    const run = spawnSync(process.execPath, [fileURLToPath(new URL("../../bin/stackvault.js", import.meta.url)), "--version"], { encoding: "utf8", env });
    assert.equal(run.status, 0, run.stderr);
    const seen = run.stderr.split("\n").filter((l) => l.startsWith("probe ")).map((l) => JSON.parse(l.slice(6)) as [string | null, string | null, string[]]);
    assert.equal(seen.length, 2, run.stderr);
    assert.deepEqual(seen[0]?.slice(0, 2), [null, null]);
    assert.deepEqual(seen[1]?.slice(0, 2), ["2", "131072"]);
    for (const flag of NODE_FLAGS) assert.ok(seen[1]?.[2].includes(flag), `${flag} in ${JSON.stringify(seen[1]?.[2])}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
