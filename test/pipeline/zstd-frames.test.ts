import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { openVerifiedStream, ZstdFrameSplitter } from "../../src/pipeline/index.ts";
import { IntegrityError } from "../../src/core/errors.ts";
import { collect, dumpLike, sha256 } from "./helpers.ts";

const a = dumpLike(300_000, 1);
const b = dumpLike(5_000, 2);
const c = dumpLike(1_000_000, 3);
const params = { [zlib.constants.ZSTD_c_checksumFlag]: 1 };
/** Three frames of different shapes: checksummed, plain, and one written by node's stream (no content size). */
const frameA = zlib.zstdCompressSync(a, { params });
const frameB = zlib.zstdCompressSync(b);
const frameC = await collect(Readable.from([c.subarray(0, 400_000), c.subarray(400_000)]).pipe(zlib.createZstdCompress()));
/** A skippable frame (magic 0x184D2A5E, 5 bytes of payload). */
const skippable = Buffer.from([0x5e, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 1, 2, 3, 4, 5]);
const stream = Buffer.concat([frameA, skippable, frameB, frameC]);
const frameEnds = [frameA.length, frameA.length + skippable.length, frameA.length + skippable.length + frameB.length, stream.length];

/**
 * Feeds `buf` to a splitter in chunks of `size` bytes; returns the chunks it passed on, as `pipe` hands them on
 * ('data' events keep chunks apart; an async iterator would merge buffered ones).
 */
async function split(buf: Buffer, size: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < buf.length; at += size) chunks.push(buf.subarray(at, at + size));
  const out: Buffer[] = [];
  const splitter = new ZstdFrameSplitter();
  splitter.on("data", (chunk: Buffer) => out.push(chunk));
  await pipeline(Readable.from(chunks), splitter);
  return out;
}

test("node's zstd decoder alone drops the frames after the first in one write (why the splitter exists)", () => {
  const decoded = zlib.zstdDecompressSync(Buffer.concat([frameA, frameB]));
  // When node decodes every frame, the splitter is no longer needed: this test then fails as a reminder.
  assert.equal(decoded.length, a.length, "node 24 stops after the first frame");
});

for (const size of [1, 3, 4096, 65536, stream.length]) {
  test(`the splitter passes every byte on and cuts at every frame end (${size}-byte chunks)`, async () => {
    const out = await split(stream, size);
    assert.ok(Buffer.concat(out).equals(stream), "bytes unchanged");
    const ends = new Set<number>();
    let at = 0;
    for (const chunk of out) ends.add((at += chunk.length));
    for (const end of frameEnds) assert.ok(ends.has(end), `a chunk ends at frame end ${end}`);
  });
}

test("a verified read decodes every frame, whatever the chunking of the stored bytes", async () => {
  const raw = Buffer.concat([a, b, c]);
  for (const size of [7, 65536, stream.length]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
    const back = await collect(openVerifiedStream(Readable.from(chunks), {
      name: "redis/dump.rdb.zst", compression: "zstd", storedBytes: stream.length, storedSha256: sha256(stream),
      rawBytes: raw.length, rawSha256: sha256(raw),
    }));
    assert.ok(back.equals(raw), `all three frames decoded (${size}-byte chunks)`);
  }
});

test("bytes that are not a zstd frame after a valid frame fail with the offset", async () => {
  await assert.rejects(split(Buffer.concat([frameA, Buffer.from("not zstd at all")]), 4096), (err) =>
    err instanceof Error && new RegExp(`not a zstd frame at byte ${frameA.length}\\b`).test(err.message));
});

test("a stream that ends inside a frame fails as truncated, even at a block boundary", async () => {
  await assert.rejects(split(stream.subarray(0, stream.length - 4), 4096), /truncated/);
  await assert.rejects(split(frameA.subarray(0, 2), 4096), /truncated/);
});

test("a reserved block type fails as corrupted", async () => {
  // Frame header of frameB: magic, descriptor, then (single segment) the content size; its first block header follows.
  const bad = Buffer.from(frameB);
  const descriptor = bad[4] ?? 0;
  const headerBytes = 5 + ((descriptor & 0x20) !== 0 ? 0 : 1) + ([(descriptor & 0x20) !== 0 ? 1 : 0, 2, 4, 8][descriptor >> 6] ?? 0);
  bad[headerBytes] = (bad[headerBytes] ?? 0) | 0b110;
  await assert.rejects(split(bad, 4096), /reserved block type/);
});

test("an empty input passes as zero frames", async () => {
  assert.deepEqual(await split(Buffer.alloc(0), 1), []);
});

test("a verified read of zstd with trailing junk fails with IntegrityError, not a silently short restore", async () => {
  const longer = Buffer.concat([frameA, Buffer.from("junk")]);
  await assert.rejects(
    collect(openVerifiedStream(Readable.from([longer]), {
      name: "neo4j/neo4j-backup.cypher.zst", compression: "zstd", storedBytes: longer.length, storedSha256: sha256(longer),
    })),
    (err) => err instanceof IntegrityError && /does not decompress as zstd/.test(err.message),
  );
});
