/**
 * The services a plan stops, as recorded in the stack lock: only those that ran, each recorded before it is
 * stopped, so that the run taking over after a crash starts exactly those and nothing the operator had left
 * stopped.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "../../src/core/events.ts";
import { acquireLock, readLock } from "../../src/plans/lock.ts";
import { holdLock, stopServices } from "../../src/plans/run-lock.ts";
import { Cleanups } from "../../src/plans/steps.ts";
import { stopEach, type ServiceController } from "../../src/services/controller.ts";
import { lockKey } from "../../src/targets/layout.ts";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import type { Target } from "../../src/targets/target.ts";

const signal = new AbortController().signal;

test("only the running services are recorded, each before its stop; a crash leaves exactly them to start", async () => {
  const target = createMemoryTarget();
  const running = new Set(["worker"]);
  const calls: string[] = [];
  const recordedAtStop: string[][] = [];
  const controller = fakeController(running, calls, async (service) => {
    recordedAtStop.push([...((await readLock(target, "kw"))?.record.stoppedServices ?? [])]);
    calls.push(`stop ${service}`);
  });
  const crashed = new Cleanups();
  // The lock as held by a run that will crash: taken without the background renewal, which dies with it.
  const lock = { held: await acquireLock(target, "kw", { operation: "restore", leaseMs: 300 }), signal };
  const messages = collect();
  await stopServices({ controller, names: ["app", "worker"] }, lock, crashed, messages.emitter, "Stopped");
  assert.deepEqual(recordedAtStop, [["worker"]], "the worker was recorded before its stop, the app (not running) never");
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, ["worker"]);
  assert.deepEqual(messages.lines, ["Not running, left alone: app", "Stopped: worker"]);

  // The run dies here: no clean-up runs, the lease expires, and the next run takes the lock over.
  await new Promise((resolve) => setTimeout(resolve, 400));
  const next = new Cleanups();
  calls.length = 0;
  const recovered = collect();
  await holdLock(target, "kw", "backup", { signal, events: recovered.emitter, services: { controller } }, next);
  assert.deepEqual(calls, ["start worker"], "the app the operator had left stopped is not started");
  assert.ok(recovered.lines.includes("Restarted what that run had stopped: worker"), recovered.lines.join(" | "));
  assert.deepEqual(await next.runAll(), []);
  assert.equal(await readLock(target, "kw"), undefined);
});

test("a completed run restarts what it stopped and clears the record; nothing running means nothing recorded", async () => {
  const target: Target = createMemoryTarget();
  const calls: string[] = [];
  const controller = fakeController(new Set(["worker", "app"]), calls);
  const cleanups = new Cleanups();
  const lock = await holdLock(target, "kw", "restore", { signal, events: new Emitter() }, cleanups);
  await stopServices({ controller, names: ["app", "worker"] }, lock, cleanups, new Emitter(), "Stopped");
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, ["app", "worker"]);
  await cleanups.runNow("services");
  assert.deepEqual(calls, ["stop app", "stop worker", "start worker", "start app"]);
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, []);

  calls.length = 0;
  const idle = fakeController(new Set(), calls);
  const messages = collect();
  await stopServices({ controller: idle, names: ["app", "worker"] }, lock, cleanups, messages.emitter, "Stopped");
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, []);
  assert.deepEqual((await readLock(target, "kw"))?.record.startingServices ?? [], []);
  assert.deepEqual(messages.lines, ["Not running, left alone: app, worker"]);
  assert.deepEqual(await cleanups.runAll(), []);
  assert.deepEqual(calls, [], "nothing was stopped or started");
});

test("a run killed during its recovery of a crashed run leaves the stopped services recorded for the next one", async () => {
  const target = createMemoryTarget();
  const running = new Set(["worker"]);
  const calls: string[] = [];
  const controller = fakeController(running, calls);
  const first = { held: await acquireLock(target, "kw", { operation: "backup", leaseMs: 300 }), signal };
  await stopServices({ controller, names: ["worker"] }, first, new Cleanups(), new Emitter(), "Stopped");
  await new Promise((resolve) => setTimeout(resolve, 400));

  // The second run takes the lock over and dies before its restart of the worker is done.
  const second = await acquireLock(target, "kw", { operation: "restore", leaseMs: 300 });
  assert.deepEqual(second.tookOver?.stoppedServices, ["worker"]);
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, ["worker"], "the new record keeps what is still stopped");
  await new Promise((resolve) => setTimeout(resolve, 400));

  const third = new Cleanups();
  const recovered = collect();
  const lock = await holdLock(target, "kw", "backup", { signal, events: recovered.emitter, services: { controller } }, third);
  assert.deepEqual(calls, ["stop worker", "start worker"]);
  assert.ok(running.has("worker"));
  assert.deepEqual(lock.held.tookOver?.stoppedServices, ["worker"]);
  assert.deepEqual((await readLock(target, "kw"))?.record.stoppedServices, [], "cleared once restarted");
  assert.deepEqual(await third.runAll(), []);
});

test("a stop that outlives the crashed run is waited for, then the service is started: never found running and left to go down", async () => {
  const target = createMemoryTarget();
  const running = new Set(["worker"]);
  const calls: string[] = [];
  const controller = fakeController(running, calls, async () => {
    // The crashed run's stop command goes on without it: the worker goes down a moment after the takeover.
    setTimeout(() => running.delete("worker"), 600);
    await new Promise<void>(() => {});
  });
  const crashed = { held: await acquireLock(target, "kw", { operation: "restore", leaseMs: 300 }), signal };
  void stopServices({ controller, names: ["worker"] }, crashed, new Cleanups(), new Emitter(), "Stopped");
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.ok(running.has("worker"), "still stopping when the next run takes over");

  const recovered = collect();
  const next = new Cleanups();
  await holdLock(target, "kw", "backup", { signal, events: recovered.emitter, services: { controller, stopTimeoutMs: 5000 } }, next);
  assert.deepEqual(calls, ["start worker"]);
  assert.ok(running.has("worker"), "the worker runs after the recovery");
  assert.ok(recovered.lines.includes("Waiting for worker to finish the stop that run began"), recovered.lines.join(" | "));
  assert.ok(recovered.lines.includes("Restarted what that run had stopped: worker"), recovered.lines.join(" | "));
  assert.deepEqual(await next.runAll(), []);
});

test("a run killed while starting its services again: the next run starts those not running, without waiting for them to stop", async () => {
  const target = createMemoryTarget();
  const running = new Set(["worker", "app"]);
  const calls: string[] = [];
  const controller = fakeController(running, calls);
  const crashed = { held: await acquireLock(target, "kw", { operation: "restore", leaseMs: 300 }), signal };
  await stopServices({ controller, names: ["app", "worker"] }, crashed, new Cleanups(), new Emitter(), "Stopped");
  // Its clean-up marked both as starting and started only the worker before it died.
  await crashed.held.markRestarting(["app", "worker"]);
  running.add("worker");
  assert.deepEqual((await readLock(target, "kw"))?.record.startingServices, ["app", "worker"]);
  await new Promise((resolve) => setTimeout(resolve, 400));

  calls.length = 0;
  const recovered = collect();
  const next = new Cleanups();
  await holdLock(target, "kw", "backup", { signal, events: recovered.emitter, services: { controller, stopTimeoutMs: 60_000 } }, next);
  assert.deepEqual(calls, ["start app"], "the running worker is neither waited for nor started twice");
  assert.ok(recovered.lines.includes("Restarted what that run had stopped: app"), recovered.lines.join(" | "));
  assert.ok(recovered.lines.includes("Already running, left alone: worker"), recovered.lines.join(" | "));
  assert.ok(!recovered.lines.some((l) => l.startsWith("Waiting")), recovered.lines.join(" | "));
  const record = (await readLock(target, "kw"))?.record;
  assert.deepEqual([record?.stoppedServices, record?.startingServices], [[], []]);
  assert.deepEqual(await next.runAll(), []);
});

test("a service still running long after the crashed run began its stop was never stopped: left running, not waited for", async () => {
  const target = createMemoryTarget();
  const running = new Set(["worker"]);
  const calls: string[] = [];
  const controller = fakeController(running, calls);
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const stale = { runId: "r", operation: "backup", host: "h", pid: 1, user: "u", acquiredAt: hourAgo, expiresAt: hourAgo, stoppedServices: ["worker"], stoppingSince: hourAgo };
  await target.put(lockKey("kw"), JSON.stringify(stale), { contentType: "application/json" });

  const recovered = collect();
  await holdLock(target, "kw", "restore", { signal, events: recovered.emitter, services: { controller, stopTimeoutMs: 60_000 } }, new Cleanups());
  assert.deepEqual(calls, []);
  assert.ok(!recovered.lines.some((l) => l.startsWith("Waiting")), recovered.lines.join(" | "));
  assert.ok(recovered.lines.includes("Already running, left alone: worker"), recovered.lines.join(" | "));
  assert.ok(!recovered.lines.some((l) => l.startsWith("Restarted")), "nothing was started, so nothing is said to be restarted");
});

// --- internal ---

/** A controller over an in-memory set of running services, built on the shared `stopEach`. */
function fakeController(running: Set<string>, calls: string[], onStop?: (service: string) => Promise<void>): ServiceController {
  const startOne = async (s: string): Promise<void> => {
    calls.push(`start ${s}`);
    running.add(s);
  };
  return {
    kind: "test",
    isRunning: async (s) => running.has(s),
    stop: (names, opts = {}) =>
      stopEach(
        names,
        async (s) => running.has(s),
        async (s) => {
          if (onStop) await onStop(s);
          else calls.push(`stop ${s}`);
          running.delete(s);
        },
        startOne,
        opts.beforeStop,
      ),
    start: async (names) => {
      for (const s of names) if (!running.has(s)) await startOne(s);
    },
    waitHealthy: async () => {},
  };
}

function collect(): { emitter: Emitter; lines: string[] } {
  const lines: string[] = [];
  const emitter = new Emitter((event) => {
    if ("message" in event) lines.push(event.message);
  });
  return { emitter, lines };
}
