/**
 * Child process of the local target's cross-process race test: increments a counter object `rounds` times
 * through read → `put({ ifMatch })` → retry on PreconditionFailedError, and tries one `ifAbsent` put.
 * Prints `{ "wonAbsent": boolean, "retries": number }`.
 *
 *   node test/targets/local-race-child.ts DIR ROUNDS ID BARRIER_DIR
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { PreconditionFailedError } from "../../src/core/errors.ts";
import { createLocalTarget } from "../../src/targets/local.ts";
import { getBytes } from "../../src/targets/target.ts";

const [dir = "", rounds = "0", id = "", barrier = ""] = process.argv.slice(2);
const t = createLocalTarget({ dir });
// Start together: announce readiness, then wait for the parent's go.
await writeFile(path.join(barrier, `ready-${id}`), "");
while (!existsSync(path.join(barrier, "go"))) await new Promise((resolve) => setTimeout(resolve, 5));
let wonAbsent = false;
try {
  await t.put("race/absent", `owner ${id}`, { ifAbsent: true });
  wonAbsent = true;
} catch (err) {
  if (!(err instanceof PreconditionFailedError)) throw err;
}
let retries = 0;
for (let i = 0; i < Number(rounds); ) {
  const info = await t.head("race/counter");
  if (info === undefined) throw new Error("counter missing");
  const value = Number((await getBytes(t, "race/counter")).toString());
  // The etag read before the content: if the content changed in between, the put below must fail.
  try {
    await t.put("race/counter", String(value + 1), { ifMatch: info.etag });
    i++;
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
    retries++;
  }
}
process.stdout.write(JSON.stringify({ wonAbsent, retries }));
