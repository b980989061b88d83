import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm, writeFile, utimes, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TargetError } from "../../src/core/errors.ts";
import { createLocalTarget } from "../../src/targets/local.ts";
import { fsError } from "../../src/targets/local-fs.ts";
import { getBytes } from "../../src/targets/target.ts";
import { targetContract } from "./contract.ts";
import { generated } from "./data.ts";

targetContract(
  "local",
  async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "stackvault-local-"));
    return {
      target: createLocalTarget({ dir }),
      // list() hides temporary and lock files: look at the folder itself.
      assertNoLeftovers: async (key) => {
        const names = await readdir(path.join(dir, path.dirname(key))).catch(() => []);
        assert.deepEqual(names.filter((n) => n.startsWith(".stackvault-")), [], `no temporary or lock file next to ${key}`);
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { atomicConditionalPuts: true },
);

test("local: no temporary or lock file remains after puts, failures and deletes; empty folders are pruned", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "stackvault-local-"));
  const t = createLocalTarget({ dir });
  await t.put("a/b/one", "1");
  await assert.rejects(t.put("a/b/one", "2", { ifAbsent: true }));
  await t.put("a/b/two", "2");
  assert.deepEqual((await readdir(path.join(dir, "a/b"))).sort(), ["one", "two"]);
  await t.delete("a/b/one");
  await t.delete("a/b/two");
  assert.deepEqual(await readdir(dir), []);
  await rm(dir, { recursive: true });
});

test("local: a folder that cannot be written gives a TargetError naming the path and what to do", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "stackvault-local-"));
  await writeFile(path.join(dir, "not-a-folder"), "x");
  const t = createLocalTarget({ dir: path.join(dir, "not-a-folder") });
  const body = generated(1024 * 1024);
  await assert.rejects(t.put("k", body), (err: unknown) => {
    assert.ok(err instanceof TargetError);
    assert.match(err.message, /not-a-folder/);
    assert.match(err.hint ?? "", /folder/);
    return true;
  });
  assert.ok(body.destroyed, "the body is released so that its producer does not wait forever");
  const denied = fsError(Object.assign(new Error("EACCES"), { code: "EACCES" }), "write to", "/srv/backups");
  assert.equal(denied.message, "Cannot write to /srv/backups: permission denied.");
  assert.match(denied.hint ?? "", /writable/);
  await rm(dir, { recursive: true });
});

test("local: a stale lock file left by a crashed writer is removed; a fresh one makes writers wait", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "stackvault-local-"));
  const t = createLocalTarget({ dir, lockStaleMs: 1000, lockTimeoutMs: 300 });
  await mkdir(path.join(dir, "s"));
  const lock = path.join(dir, "s", ".stackvault-lock-obj");
  await writeFile(lock, "12345 elsewhere\n");
  await assert.rejects(t.put("s/obj", "blocked"), /Timed out waiting for the lock/);
  const old = new Date(Date.now() - 60_000);
  await utimes(lock, old, old);
  await t.put("s/obj", "after crash");
  assert.equal((await getBytes(t, "s/obj")).toString(), "after crash");
  assert.deepEqual(await readdir(path.join(dir, "s")), ["obj"]);
  await rm(dir, { recursive: true });
});

test("local: conditional puts hold across processes (ifAbsent has one winner, ifMatch loses no increment)", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "stackvault-local-"));
  await createLocalTarget({ dir }).put("race/counter", "0");
  const child = fileURLToPath(new URL("./local-race-child.ts", import.meta.url));
  const procs = 4;
  const rounds = 25;
  const barrier = await mkdtemp(path.join(tmpdir(), "stackvault-barrier-"));
  const running = Array.from({ length: procs }, (_, i) => run(process.execPath, [child, dir, String(rounds), String(i), barrier]));
  const deadline = Date.now() + 60_000;
  while ((await readdir(barrier)).length < procs) {
    assert.ok(Date.now() < deadline, "the writer processes did not start");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await writeFile(path.join(barrier, "go"), "");
  const outputs = await Promise.all(running);
  await rm(barrier, { recursive: true });
  const results = outputs.map((o) => JSON.parse(o) as { wonAbsent: boolean; retries: number });
  assert.equal(results.filter((r) => r.wonAbsent).length, 1);
  assert.equal((await getBytes(createLocalTarget({ dir }), "race/counter")).toString(), String(procs * rounds));
  assert.ok(results.some((r) => r.retries > 0), "the writers really raced");
  await rm(dir, { recursive: true });
});

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 120_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}
