/**
 * The executor conformance suite: every executor (local, ssh) runs it against a real host.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { CancelledError, ExecError } from "../../src/core/errors.ts";
import type { Executor } from "../../src/exec/executor.ts";

export function executorContract(name: string, open: () => Promise<Executor>): void {
  const withExecutor = (title: string, body: (ex: Executor) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const ex = await open();
      try {
        await body(ex);
      } finally {
        await ex.close();
      }
    });
  };

  withExecutor("collects standard output and the exit code", async (ex) => {
    const result = await ex.run("echo", ["hello"]);
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout, "hello\n");
  });

  withExecutor("passes arguments unchanged, whatever they contain", async (ex) => {
    const args = ["two words", "quote ' and \"double\"", "$HOME `id` $(id)", "new\nline", "", "-n", "*", "ünï🚀"];
    const result = await ex.run("printf", ["%s\\0", ...args]);
    assert.deepEqual(result.stdout.split("\0").slice(0, -1), args);
  });

  withExecutor("streams standard input to standard output with back-pressure", async (ex) => {
    const data = randomBytes(6 * 1024 * 1024);
    const hash = createHash("sha256");
    let size = 0;
    const sink = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        setImmediate(done);
      },
    });
    const result = await ex.run("cat", [], { stdin: Readable.from([data.subarray(0, 3_000_000), data.subarray(3_000_000)]), stdout: sink });
    assert.equal(result.stdout, "");
    assert.equal(size, data.length);
    assert.equal(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
  });

  withExecutor("gives environment variables to the program", async (ex) => {
    const secret = "p@ss w'rd $x `y` \"z\"\nline2";
    const result = await ex.run("sh", ["-c", 'printf %s "$SV_TEST_SECRET"; printf "|%s" "$SV_OTHER"'], { env: { SV_TEST_SECRET: secret, SV_OTHER: "2" } });
    assert.equal(result.stdout, `${secret}|2`);
  });

  withExecutor("runs in the given working directory", async (ex) => {
    assert.equal((await ex.run("pwd", [], { cwd: "/" })).stdout.trim(), "/");
  });

  withExecutor("fails with ExecError naming the exit code and the end of stderr", async (ex) => {
    await assert.rejects(ex.run("sh", ["-c", "echo first >&2; echo 'the real problem' >&2; exit 3"]), (err: unknown) => {
      assert.ok(err instanceof ExecError);
      assert.match(err.message, /exited with code 3/);
      assert.match(err.message, /the real problem/);
      return true;
    });
    const unchecked = await ex.run("sh", ["-c", "exit 4"], { check: false });
    assert.equal(unchecked.exitCode, 4);
  });

  withExecutor("fails clearly for a program that does not exist", async (ex) => {
    await assert.rejects(ex.run("stackvault-no-such-program", []), ExecError);
  });

  withExecutor("cancels a running program when the signal aborts", async (ex) => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(ex.run("sleep", ["30"], { signal: controller.signal }), CancelledError);
    assert.ok(Date.now() - started < 15_000, "the program was stopped long before it would have ended");
  });

  withExecutor("cancels a program whose signal aborts while it is still starting", async (ex) => {
    for (const delay of [0, 5, 50]) {
      const controller = new AbortController();
      const started = Date.now();
      setTimeout(() => controller.abort(), delay);
      await assert.rejects(ex.run("sleep", ["30"], { signal: controller.signal }), CancelledError);
      assert.ok(Date.now() - started < 15_000, `stopped promptly (abort after ${delay} ms)`);
    }
  });

  withExecutor("stops a program that outlives its timeout", async (ex) => {
    await assert.rejects(ex.run("sleep", ["30"], { timeoutMs: 300 }), (err: unknown) => err instanceof ExecError && /did not finish within 300 ms/.test(err.message));
  });
}
