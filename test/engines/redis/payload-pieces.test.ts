import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { PayloadPieces, type PayloadEnd } from "../../../src/engines/redis/payload-pieces.ts";

/** Feeds `stream` cut at random places; returns the pieces and whether the end was found. */
function feed(stream: Buffer, end: PayloadEnd, pieceBytes: number, seed: number): { pieces: Buffer[]; done: boolean } {
  const pieces: Buffer[] = [];
  const cutter = new PayloadPieces(end, (piece) => pieces.push(Buffer.from(piece)), pieceBytes);
  let state = seed;
  let at = 0;
  while (at < stream.length && !cutter.done) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 97);
    cutter.add(stream.subarray(at, at + size));
    at += size;
  }
  return { pieces, done: cutter.done };
}

test("the payload before an end mark comes out whole, however the chunks cut the mark, in pieces of the set size", () => {
  const payload = randomBytes(5000);
  const mark = randomBytes(40);
  const after = Buffer.from("*1\r\n$4\r\nPING\r\n"); // the replication stream goes on after the RDB
  for (let seed = 1; seed <= 200; seed++) {
    const { pieces, done } = feed(Buffer.concat([payload, mark, after]), { mark }, 256, seed);
    assert.ok(done, `seed ${seed}: the end mark was found`);
    assert.deepEqual(Buffer.concat(pieces), payload, `seed ${seed}: the payload, and nothing of the mark or after it`);
    assert.ok(pieces.slice(0, -1).every((p) => p.length === 256), `seed ${seed}: every piece but the last is full`);
  }
});

test("a payload that is only the end mark, or shorter than one piece, ends right", () => {
  const mark = randomBytes(40);
  assert.deepEqual(feed(mark, { mark }, 256, 7), { pieces: [], done: true });
  const short = randomBytes(30);
  const { pieces } = feed(Buffer.concat([short, mark]), { mark }, 256, 3);
  assert.deepEqual(Buffer.concat(pieces), short);
});

test("without the end mark the payload is not done, and the held-back bytes are not passed on", () => {
  const mark = randomBytes(40);
  const stream = randomBytes(1000);
  const { pieces, done } = feed(stream, { mark }, 256, 5);
  assert.equal(done, false);
  assert.deepEqual(Buffer.concat(pieces), stream.subarray(0, 768), "three full pieces; the rest waits for the next chunk");
});

test("a declared length ends the payload exactly there; zero bytes is done at once", () => {
  const stream = randomBytes(3000);
  for (let seed = 1; seed <= 50; seed++) {
    const { pieces, done } = feed(stream, { length: 2049 }, 512, seed);
    assert.ok(done);
    assert.deepEqual(Buffer.concat(pieces), stream.subarray(0, 2049));
    assert.deepEqual(pieces.map((p) => p.length), [512, 512, 512, 512, 1]);
  }
  const empty = new PayloadPieces({ length: 0 }, () => assert.fail("no piece for an empty payload"));
  assert.equal(empty.done, true);
  assert.equal(empty.add(Buffer.from("x")), true, "bytes after the end are ignored");
});

test("a piece handed out is never written to again", () => {
  const mark = randomBytes(40);
  const payload = randomBytes(2000);
  const kept: Buffer[] = [];
  const copies: Buffer[] = [];
  const cutter = new PayloadPieces({ mark }, (piece) => {
    kept.push(piece);
    copies.push(Buffer.from(piece));
  }, 128);
  const stream = Buffer.concat([payload, mark]);
  for (let at = 0; at < stream.length; at += 50) cutter.add(stream.subarray(at, at + 50));
  assert.deepEqual(kept, copies);
  assert.deepEqual(Buffer.concat(kept), payload);
});
