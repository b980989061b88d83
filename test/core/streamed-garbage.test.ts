import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";

// The module reads `gc` when it loads: the spy is in place before the pipeline is imported.
const calls: unknown[] = [];
(globalThis as { gc?: (options: unknown) => void }).gc = (options) => void calls.push(options);
const { Meter } = await import("../../src/pipeline/hash.ts");
const { EVERY_BYTES } = await import("../../src/core/streamed-garbage.ts");

test("bytes through a meter ask for a minor collection every 16 MiB, and only then", async () => {
  const meter = new Meter();
  meter.resume();
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (let i = 0; i < 40; i++) meter.write(chunk);
  meter.end();
  await once(meter, "finish");
  assert.equal(EVERY_BYTES, 16 * 1024 * 1024);
  assert.deepEqual(calls, [{ type: "minor" }, { type: "minor" }], "40 MiB: two collections");
});
