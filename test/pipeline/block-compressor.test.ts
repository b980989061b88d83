import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { BlockCompressor, ZstdFrameSplitter, createCompressor, openVerifiedStream, runBackupPipeline, type BlockCodec, type StoreFunction } from "../../src/pipeline/index.ts";
import { CancelledError, EngineError } from "../../src/core/errors.ts";
import { collect, dumpLike, lazySource, prng, sha256, sleep } from "./helpers.ts";

const data = dumpLike(3 * 1024 * 1024 + 4321, 7);
const hasZstd = spawnSync("zstd", ["--version"]).status === 0;

/** Cuts `buf` into chunks of random sizes (1 byte to 100 KiB), so that blocks straddle chunks. */
function ragged(buf: Buffer, seed = 1): Readable {
  const rand = prng(seed);
  const chunks: Buffer[] = [];
  for (let at = 0; at < buf.length;) {
    const n = 1 + Math.floor(rand() * 100 * 1024);
    chunks.push(buf.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

/** A codec that returns its block unchanged after a random delay, so blocks finish out of order; counts concurrency. */
function shuffledIdentity(seed = 2): { codec: BlockCodec; stats: { calls: number; inFlight: number; maxInFlight: number } } {
  const rand = prng(seed);
  const stats = { calls: 0, inFlight: 0, maxInFlight: 0 };
  const codec: BlockCodec = async (block) => {
    stats.calls++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    const copy = Buffer.from(block);
    await sleep(Math.floor(rand() * 5));
    stats.inFlight--;
    return copy;
  };
  return { codec, stats };
}

test("blocks finishing out of order come out in input order; at most `parallelism` compress at once", async () => {
  const { codec, stats } = shuffledIdentity();
  const out = await collect(ragged(data).pipe(new BlockCompressor({ codec, blockBytes: 10_000, parallelism: 4 })));
  assert.ok(out.equals(data), "output is the input, in order");
  assert.equal(stats.calls, Math.ceil(data.length / 10_000));
  assert.equal(stats.maxInFlight, 4, "four blocks were compressing at once, never more");
});

test("a block size that divides the input exactly gives no empty trailing block", async () => {
  const { codec, stats } = shuffledIdentity();
  const input = data.subarray(0, 30_000);
  const out = await collect(Readable.from([input]).pipe(new BlockCompressor({ codec, blockBytes: 10_000, parallelism: 2 })));
  assert.ok(out.equals(input));
  assert.equal(stats.calls, 3);
});

for (const compression of ["zstd", "gzip"] as const) {
  test(`${compression}: many blocks round-trip through the verified read, equal bytes and hashes`, async () => {
    const result = await runBackupPipeline({
      source: ragged(data), compression, blockBytes: 64 * 1024, parallelism: 3, store: (b) => collect(b),
    });
    assert.equal(result.rawSha256, sha256(data));
    assert.equal(result.storedSha256, sha256(result.stored));
    const back = await collect(openVerifiedStream(ragged(result.stored, 3), {
      name: "neo4j/neo4j-backup.cypher", compression, storedBytes: result.storedBytes, storedSha256: result.storedSha256,
      rawBytes: result.rawBytes, rawSha256: result.rawSha256,
    }));
    assert.ok(back.equals(data), "restored bytes equal the source");
    if (compression === "gzip") assert.ok(zlib.gunzipSync(result.stored).equals(data), "zlib's gunzip reads every member");
  });
}

test("zstd: the multi-frame output is one file for the zstd command (-t, -d, -l)", async (t) => {
  const result = await runBackupPipeline({ source: Readable.from([data]), compression: "zstd", blockBytes: 256 * 1024, store: (b) => collect(b) });
  const frames = Math.ceil(data.length / (256 * 1024));
  if (!hasZstd) {
    // Without the command, decode frame by frame with node's one-shot decoder (one frame per call).
    t.diagnostic("no zstd command on PATH: checked with node's decoder, frame by frame");
    const parts: Buffer[] = [];
    const splitter = new ZstdFrameSplitter();
    splitter.on("data", (frame: Buffer) => parts.push(zlib.zstdDecompressSync(frame)));
    await pipeline(Readable.from([result.stored]), splitter);
    assert.equal(parts.length, frames, "one frame per block");
    assert.ok(Buffer.concat(parts).equals(data));
    return;
  }
  assert.equal(spawnSync("zstd", ["-q", "-t"], { input: result.stored }).status, 0, "zstd -t accepts it");
  const decoded = spawnSync("zstd", ["-q", "-d", "-c"], { input: result.stored, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(decoded.status, 0);
  assert.ok(decoded.stdout.equals(data), "zstd -d gives back the source");
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-frames-"));
  try {
    writeFileSync(path.join(dir, "a.zst"), result.stored);
    const listed = spawnSync("zstd", ["-l", "-v", path.join(dir, "a.zst")], { encoding: "utf8" });
    assert.match(`${listed.stdout}${listed.stderr}`, new RegExp(`Zstandard Frames: ${frames}\\b`), "one frame per block");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("zstd frames from contexts kept between blocks each decode alone, and the contexts are closed at the end", async () => {
  // Twelve blocks through two contexts, so each context writes several frames in a row.
  const compressor = createCompressor("zstd", { blockBytes: 256 * 1024, parallelism: 2 });
  const stored = await collect(Readable.from([data]).pipe(compressor));
  const frames: Buffer[] = [];
  const splitter = new ZstdFrameSplitter();
  splitter.on("data", (frame: Buffer) => frames.push(frame));
  await pipeline(Readable.from([stored]), splitter);
  assert.equal(frames.length, Math.ceil(data.length / (256 * 1024)));
  const decoded = frames.map((frame) => zlib.zstdDecompressSync(frame));
  assert.ok(Buffer.concat(decoded).equals(data), "each frame alone gives its block");
  assert.ok(decoded.slice(0, -1).every((block) => block.length === 256 * 1024));
});

test("the codec's close is called once, when the compressor ends or is destroyed", async () => {
  for (const ending of ["end", "destroy"] as const) {
    let closed = 0;
    const codec: BlockCodec = async (block) => Buffer.from(block);
    codec.close = () => void closed++;
    const compressor = new BlockCompressor({ codec, blockBytes: 1024, parallelism: 2 });
    if (ending === "end") await collect(Readable.from([data.subarray(0, 10_000)]).pipe(compressor));
    else {
      compressor.write(data.subarray(0, 5000));
      compressor.destroy();
      await sleep(10);
    }
    assert.equal(closed, 1, ending);
  }
});

test("an empty source gives one empty frame (zstd) or member (gzip) that the command-line tools accept", async () => {
  const zst = await runBackupPipeline({ source: Readable.from([]), compression: "zstd", store: (b) => collect(b) });
  assert.ok(zst.stored.length > 0);
  assert.equal(zlib.zstdDecompressSync(zst.stored).length, 0);
  if (hasZstd) assert.equal(spawnSync("zstd", ["-q", "-t"], { input: zst.stored }).status, 0);
  const gz = await runBackupPipeline({ source: Readable.from([]), compression: "gzip", store: (b) => collect(b) });
  assert.equal(zlib.gunzipSync(gz.stored).length, 0);
});

test("a codec error fails the stream with that error and stops taking input", async () => {
  const boom = new Error("codec failed");
  let calls = 0;
  const codec: BlockCodec = async (block) => {
    if (++calls === 3) throw boom;
    await sleep(1);
    return Buffer.from(block);
  };
  const source = lazySource(64 * 1024 * 1024);
  await assert.rejects(
    pipeline(source, new BlockCompressor({ codec, blockBytes: 64 * 1024, parallelism: 2 }), async function* (s) {
      for await (const chunk of s) yield chunk;
    }),
    (err) => err === boom,
  );
  assert.equal(source.destroyed, true);
  assert.ok(source.produced() < 2 * 1024 * 1024, `source stopped early (${source.produced()} bytes read)`);
});

test("a source error during parallel zstd rejects the run with it; the store's signal aborts", async () => {
  const boom = new EngineError("Redis closed the connection.");
  let sent = 0;
  const source = new Readable({
    read() {
      if (++sent === 40) this.destroy(boom);
      else this.push(data.subarray(0, 64 * 1024));
    },
  });
  let storeSignal: AbortSignal | undefined;
  const store: StoreFunction<Buffer> = (body, { signal }) => {
    storeSignal = signal;
    return collect(body);
  };
  await assert.rejects(
    runBackupPipeline({ source, compression: "zstd", blockBytes: 256 * 1024, parallelism: 3, store }),
    (err) => err === boom,
  );
  assert.equal(storeSignal?.aborted, true);
});

test("aborting mid-stream with many zstd blocks in flight rejects with CancelledError; the store sees the abort", async () => {
  const controller = new AbortController();
  const source = lazySource(1024 * 1024 * 1024);
  let storeSettled: "resolved" | "rejected" | undefined;
  const store: StoreFunction<void> = async (body) => {
    let n = 0;
    try {
      for await (const chunk of body) {
        n += (chunk as Buffer).length;
        if (n > 1024) controller.abort(new Error("Ctrl-C"));
      }
      storeSettled = "resolved";
    } catch (err) {
      storeSettled = "rejected";
      throw err;
    }
  };
  await assert.rejects(
    runBackupPipeline({ source, compression: "zstd", blockBytes: 128 * 1024, parallelism: 3, store, signal: controller.signal }),
    (err) => err instanceof CancelledError,
  );
  assert.equal(storeSettled, "rejected", "the store saw the failure instead of a short, clean end");
  assert.equal(source.destroyed, true);
  assert.ok(source.produced() < 64 * 1024 * 1024, `source stopped early (${source.produced()} bytes read)`);
});
