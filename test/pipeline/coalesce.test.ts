import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { Coalesce, runBackupPipeline, openVerifiedStream } from "../../src/pipeline/index.ts";
import { collect, dumpLike, sha256 } from "./helpers.ts";

test("small chunks are batched into blocks of at least the block size, bytes unchanged", async () => {
  const data = dumpLike(1_000_000, 9);
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length; at += 170) pieces.push(data.subarray(at, at + 170));
  const blocks: Buffer[] = [];
  for await (const block of Readable.from(pieces).pipe(new Coalesce(65536))) blocks.push(block as Buffer);
  assert.ok(Buffer.concat(blocks).equals(data));
  for (const block of blocks.slice(0, -1)) assert.ok(block.length >= 65536, `block of ${block.length} bytes`);
  assert.ok(blocks.length <= Math.ceil(data.length / 65536) + 1);
});

test("a chunk of at least one block passes through as the same buffer", async () => {
  const big = Buffer.alloc(200_000, 1);
  const out: Buffer[] = [];
  for await (const block of Readable.from([big]).pipe(new Coalesce(65536))) out.push(block as Buffer);
  assert.equal(out.length, 1);
  assert.equal(out[0], big);
});

test("an engine's tiny string chunks go through the whole pipeline intact", async () => {
  const lines = Array.from({ length: 20_000 }, (_, i) => `CREATE (:N {id: ${i}, name: "naïve 🚀 ${i}"});\n`);
  const expected = Buffer.from(lines.join(""));
  const result = await runBackupPipeline({ source: Readable.from(lines), compression: "zstd", store: (b) => collect(b) });
  assert.equal(result.rawBytes, expected.length, "bytes, not characters, are counted");
  assert.equal(result.rawSha256, sha256(expected));
  const back = await collect(openVerifiedStream(Readable.from([result.stored]), {
    name: "n", compression: "zstd", storedBytes: result.storedBytes, storedSha256: result.storedSha256, rawSha256: result.rawSha256,
  }));
  assert.ok(back.equals(expected));
});
