import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import os from "node:os";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { hasStackTrace, runCli } from "./run-cli.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/extra-commands.ts", import.meta.url));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  test(`${signal} aborts the running command, runs its clean-up, exits 130 without a stack`, async () => {
    const child = spawn(process.execPath, [FIXTURE, "wait"], { cwd: os.tmpdir(), env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    const ready = new Promise<void>((resolve) => {
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("ready\n")) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    await Promise.race([ready, closed]);
    assert.ok(stderr.includes("ready"), `the command did not start: ${stderr}`);
    child.kill(signal);
    const code = await closed;
    assert.equal(code, EXIT_CODES.cancelled, stderr);
    assert.match(stdout, /\[1\/7\] Waiting/);
    assert.match(stderr, /cleanup: services restarted/);
    assert.match(stderr, /error: Cancelled/);
    assert.ok(!hasStackTrace(stderr), stderr);
  });
}

test("an unexpected error prints its stack and exits 1", async () => {
  const r = await runCli(["crash"], { cwd: os.tmpdir(), entry: FIXTURE });
  assert.equal(r.code, EXIT_CODES.internal);
  assert.match(r.stderr, /internal error/);
  assert.match(r.stderr, /TypeError/);
  assert.ok(hasStackTrace(r.stderr), r.stderr);
});

test("a failing clean-up step is reported with its own exit code, not dropped", async () => {
  const r = await runCli(["cleanup-fails"], { cwd: os.tmpdir(), entry: FIXTURE });
  assert.equal(r.code, EXIT_CODES.exec);
  assert.match(r.stderr, /could not restart worker/);
});
