import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { QDRANT_ENDPOINTS } from "../../../src/engines/qdrant/index.ts";
import { assertSnapshotCompatible } from "../../../src/engines/qdrant/version.ts";
import { EngineError } from "../../../src/core/errors.ts";

const spec = JSON.parse(await readFile(new URL("../../fixtures/qdrant-openapi-v1.19.json", import.meta.url), "utf8")) as { paths: Record<string, Record<string, unknown>> };

test("every call the Qdrant engine makes is in Qdrant's OpenAPI description", () => {
  for (const [method, path] of QDRANT_ENDPOINTS) {
    assert.ok(spec.paths[path]?.[method.toLowerCase()], `${method} ${path} is not in qdrant-openapi-v1.19.json`);
  }
});

test("a snapshot restores only on the same or the next minor version", () => {
  assertSnapshotCompatible("1.19.0", "1.19.3");
  assertSnapshotCompatible("1.19.2", "1.20.0");
  for (const [from, to] of [["1.19.0", "1.21.0"], ["1.19.0", "1.18.9"], ["1.19.0", "2.0.0"]] as const) {
    assert.throws(() => assertSnapshotCompatible(from, to), (err: unknown) => err instanceof EngineError && /same or the next minor version/.test(err.message) && err.message.includes(to));
  }
});
