import { test } from "node:test";
import assert from "node:assert/strict";
import { LockError } from "../../src/core/errors.ts";
import { acquireLock, readLock } from "../../src/plans/lock.ts";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import type { MemoryStore } from "../../src/targets/memory.ts";
import { lockKey } from "../../src/targets/layout.ts";
import { getBytes } from "../../src/targets/target.ts";
import type { Target } from "../../src/targets/target.ts";
import { PreconditionFailedError } from "../../src/core/errors.ts";

test("a second run on a locked stack fails fast and names the holder", async () => {
  const target = createMemoryTarget();
  const first = await acquireLock(target, "knowwhere", { operation: "backup" });
  await assert.rejects(acquireLock(target, "knowwhere", { operation: "restore" }), (err: unknown) => {
    assert.ok(err instanceof LockError);
    assert.match(err.message, /locked by a backup run of .+@.+ \(pid \d+/);
    return true;
  });
  const other = await acquireLock(target, "other-stack", { operation: "backup" });
  await other.release();
  await first.release();
  await first.release();
  assert.equal(await readLock(target, "knowwhere"), undefined);
  assert.equal(JSON.parse((await getBytes(target, lockKey("knowwhere"))).toString()).released, true, "released by overwriting, not deleted");
});

test("a waiting run gets the lock once the holder releases it", async () => {
  const target = createMemoryTarget();
  const first = await acquireLock(target, "s", { operation: "backup" });
  setTimeout(() => void first.release(), 300);
  const second = await acquireLock(target, "s", { operation: "backup", waitMs: 5000 });
  assert.equal((await readLock(target, "s"))?.record.runId, second.record.runId);
  await second.release();
});

test("an expired lease is taken over, reported with its stopped services, and the old holder loses", async () => {
  const target = createMemoryTarget();
  const crashed = await acquireLock(target, "s", { operation: "backup", leaseMs: 50 });
  await crashed.setStoppedServices(["worker", "app"]);
  await new Promise((resolve) => setTimeout(resolve, 80));
  const next = await acquireLock(target, "s", { operation: "backup" });
  assert.deepEqual(next.tookOver?.stoppedServices, ["worker", "app"]);
  assert.equal(next.tookOver?.runId, crashed.record.runId);
  await assert.rejects(crashed.renew(), /taken over by another run/);
  await crashed.release();
  assert.equal((await readLock(target, "s"))?.record.runId, next.record.runId, "the old holder's release does not release the new holder's lock");
  await next.renew();
  await next.release();
});

test("of many runs racing for one stack, exactly one wins", async () => {
  const store: MemoryStore = new Map();
  const targets = Array.from({ length: 12 }, () => createMemoryTarget({ store }));
  const results = await Promise.allSettled(targets.map((t) => acquireLock(t, "race", { operation: "backup" })));
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof LockError);
});

test("a released lock is taken by the next run without a takeover report", async () => {
  const target = createMemoryTarget();
  const first = await acquireLock(target, "s", { operation: "backup" });
  await first.setStoppedServices(["worker"]);
  await first.release();
  const second = await acquireLock(target, "s", { operation: "restore" });
  assert.equal(second.tookOver, undefined);
  assert.equal((await readLock(target, "s"))?.record.operation, "restore");
  await second.release();
});

test("a target that says the lock exists but serves nothing under its key gets a clear error, not a busy loop", async () => {
  const inner = createMemoryTarget();
  let puts = 0;
  const phantom: Target = Object.assign(Object.create(inner) as Target, {
    put: async () => {
      puts++;
      throw new PreconditionFailedError("exists");
    },
    head: async () => undefined,
  });
  await assert.rejects(acquireLock(phantom, "s", { operation: "restore", waitMs: 60_000 }), (err: unknown) => {
    assert.ok(err instanceof LockError);
    assert.match(err.message, /refuses to create it .* no readable object/);
    assert.match(err.hint ?? "", /delete marker/);
    return true;
  });
  assert.ok(puts >= 2 && puts <= 10, `${puts} write attempts`);
});

test("a holder's own writes in flight at once (renewals, the stopped-services list) never pass for a take-over", async () => {
  const target = createMemoryTarget();
  // A slow store: every write takes a while, so the holder's writes overlap.
  const slow = new Proxy(target, {
    get(t, prop, receiver) {
      const value: unknown = Reflect.get(t, prop, receiver);
      if (prop !== "put" || typeof value !== "function") return typeof value === "function" ? value.bind(t) : value;
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return (value as (...a: unknown[]) => Promise<unknown>).apply(t, args);
      };
    },
  });
  const lock = await acquireLock(slow, "s", { operation: "backup" });
  await Promise.all([lock.renew(), lock.setStoppedServices(["worker"]), lock.renew(), lock.renew()]);
  assert.deepEqual((await readLock(target, "s"))?.record.stoppedServices, ["worker"], "no write lost another's change");
  await Promise.all([lock.setStoppedServices([]), lock.renew()]);
  assert.deepEqual((await readLock(target, "s"))?.record.stoppedServices, []);
  await lock.release();
  assert.equal((await acquireLock(target, "s", { operation: "backup" })).tookOver, undefined, "released: the next run takes it without a takeover");
});
