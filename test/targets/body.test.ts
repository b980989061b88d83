import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { CancelledError, TargetError } from "../../src/core/errors.ts";
import { guardStream } from "../../src/targets/body.ts";

const readAll = async (stream: Readable): Promise<string> => {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
};

test("a source cut off part-way (a socket's raw 'aborted') reaches the reader as the mapped, typed error", async () => {
  const source = new Readable({ read() {} });
  source.push("first bytes");
  setTimeout(() => source.destroy(new Error("aborted")), 10);
  const out = guardStream(source, undefined, "reading k", (err) => new TargetError(`mapped: ${(err as Error).message}`));
  await assert.rejects(readAll(out), (err: unknown) => err instanceof TargetError && err.message === "mapped: aborted");
});

test("the bytes pass through; an abort is a CancelledError and releases the source", async () => {
  assert.equal(await readAll(guardStream(Readable.from(["a", "b"]), undefined, "k", (e) => e as Error)), "ab");
  const source = new Readable({ read() {} });
  const controller = new AbortController();
  const out = guardStream(source, controller.signal, "reading k", (e) => e as Error);
  setTimeout(() => controller.abort(), 10);
  await assert.rejects(readAll(out), CancelledError);
  assert.ok(source.destroyed, "the source (its socket) is released");
});
