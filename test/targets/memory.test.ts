import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryTarget, type MemoryStore } from "../../src/targets/memory.ts";
import { getBytes } from "../../src/targets/target.ts";
import { targetContract } from "./contract.ts";

targetContract("memory", async () => ({ target: createMemoryTarget({ name: "contract" }) }), { atomicConditionalPuts: true });

test("two memory targets on one store see each other's writes", async () => {
  const store: MemoryStore = new Map();
  const a = createMemoryTarget({ store, name: "a" });
  const b = createMemoryTarget({ store, name: "b" });
  await a.put("k", "shared");
  assert.equal((await getBytes(b, "k")).toString(), "shared");
  assert.equal(b.location, "memory://b");
});
