import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { sideBySide } from "../../src/plans/side-by-side.ts";

test("sideBySide runs the checks at once and gives their results in order", async () => {
  const started: string[] = [];
  const check = (name: string, ms: number) => async (signal: AbortSignal) => {
    started.push(name);
    await sleep(ms, undefined, { signal });
    return name;
  };
  const results = await sideBySide(new AbortController().signal, [check("slow", 60), check("fast", 5), check("middle", 30)]);
  assert.deepEqual(results, ["slow", "fast", "middle"]);
  assert.deepEqual(started, ["slow", "fast", "middle"], "every check started before any finished");
});

test("sideBySide rejects with the first failure, after telling the others to stop and waiting for them", async () => {
  const failure = new Error("the store is down");
  let stoppedAfterAbort = false;
  const long = async (signal: AbortSignal) => {
    await sleep(5_000, undefined, { signal }).catch(() => undefined);
    stoppedAfterAbort = signal.aborted;
    return "long";
  };
  const failing = async () => {
    await sleep(10);
    throw failure;
  };
  const later = async () => {
    await sleep(30);
    throw new Error("a later failure");
  };
  await assert.rejects(sideBySide(new AbortController().signal, [long, failing, later]), (err) => err === failure);
  assert.equal(stoppedAfterAbort, true, "the long check saw the abort and settled before the rejection");
});

test("sideBySide passes the caller's abort on to every check", async () => {
  const outer = new AbortController();
  const seen: boolean[] = [];
  const check = async (signal: AbortSignal) => {
    await sleep(5_000, undefined, { signal }).catch(() => undefined);
    seen.push(signal.aborted);
    return 1;
  };
  setTimeout(() => outer.abort(), 10);
  await sideBySide(outer.signal, [check, check]);
  assert.deepEqual(seen, [true, true]);
});
