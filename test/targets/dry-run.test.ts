import { test } from "node:test";
import assert from "node:assert/strict";
import { PreconditionFailedError } from "../../src/core/errors.ts";
import { createMemoryTarget } from "../../src/targets/memory.ts";
import { getBytes } from "../../src/targets/target.ts";
import { dryRunTarget, type SkippedOperation } from "../../src/targets/wrappers/dry-run.ts";
import { generated } from "./data.ts";

test("dry run: reads pass through, writes and deletes are reported and not performed, conditions still checked", async () => {
  const real = createMemoryTarget({ name: "real" });
  await real.put("kept", "original");
  const skipped: SkippedOperation[] = [];
  const dry = dryRunTarget(real, (op) => skipped.push(op));
  assert.equal(dry.location, "memory://real");
  const put = await dry.put("new", generated(300_000));
  assert.equal(put.size, 300_000);
  await dry.put("kept", "changed");
  await dry.delete("kept");
  await assert.rejects(dry.put("kept", "x", { ifAbsent: true }), PreconditionFailedError);
  await assert.rejects(dry.put("kept", "x", { ifMatch: "stale" }), PreconditionFailedError);
  assert.deepEqual(skipped, [
    { op: "put", key: "new", size: 300_000 },
    { op: "put", key: "kept", size: 7 },
    { op: "delete", key: "kept" },
  ]);
  assert.equal((await getBytes(dry, "kept")).toString(), "original");
  assert.equal(await real.head("new"), undefined);
  assert.deepEqual((await dry.list("")).objects.map((o) => o.key), ["kept"]);
});
