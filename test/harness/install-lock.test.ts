/** The cross-process install lock: one holder at a time, a dead owner's lock taken over. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { withInstallLock } from "./install-lock.ts";

test("installs under one lock never overlap, and the lock is gone afterwards", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-lock-"));
  try {
    const lock = path.join(dir, "thing.lock");
    const logged: string[] = [];
    let active = 0;
    let most = 0;
    const job = (): Promise<number> =>
      withInstallLock(lock, "thing", (m) => logged.push(m), async () => {
        active++;
        most = Math.max(most, active);
        await sleep(30);
        active--;
        return 1;
      }, 5);
    const done = await Promise.all([job(), job(), job()]);
    assert.deepEqual(done, [1, 1, 1]);
    assert.equal(most, 1, "two installs ran at once");
    assert.ok(logged.some((m) => m.includes("waiting for another process's install of thing")));
    assert.equal(existsSync(lock), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lock left by a process that is gone is taken over; a failed install releases the lock", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-lock-"));
  try {
    const lock = path.join(dir, "thing.lock");
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    mkdirSync(lock);
    writeFileSync(path.join(lock, "owner.json"), JSON.stringify({ pid: Number(gone.stdout) }));
    assert.equal(await withInstallLock(lock, "thing", () => {}, async () => "ran", 5), "ran");
    await assert.rejects(withInstallLock(lock, "thing", () => {}, async () => Promise.reject(new Error("build failed")), 5), /build failed/);
    assert.equal(existsSync(lock), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
