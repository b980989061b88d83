import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { runBackupPipeline, openVerifiedStream, COMPRESSIONS, type Compression } from "../../src/pipeline/index.ts";
import { CancelledError, IntegrityError } from "../../src/core/errors.ts";
import { collect, dumpLike, lazySource } from "./helpers.ts";

const data = dumpLike(2 * 1024 * 1024, 3);
const NAME = "qdrant/knowbase-snapshot.tar.zst";

async function backup(compression: Compression) {
  return runBackupPipeline({ source: Readable.from([data]), compression, store: (b) => collect(b) });
}

/** Reads `stored` back as the restore does, with the records of `result`. */
function readBack(stored: Buffer, result: Awaited<ReturnType<typeof backup>>, compression: Compression, over = {}) {
  return collect(openVerifiedStream(Readable.from([stored]), {
    name: NAME, compression,
    storedBytes: result.storedBytes, storedSha256: result.storedSha256,
    rawBytes: result.rawBytes, rawSha256: result.rawSha256, ...over,
  }));
}

function namesArtifact(err: unknown): boolean {
  return err instanceof IntegrityError && err.message.includes(NAME);
}

for (const compression of COMPRESSIONS) {
  test(`${compression}: truncated stored bytes fail with IntegrityError naming the artifact`, async () => {
    const result = await backup(compression);
    const truncated = result.stored.subarray(0, result.stored.length - 100);
    await assert.rejects(readBack(truncated, result, compression), (err) => namesArtifact(err) && /truncated/.test((err as Error).message));
  });

  test(`${compression}: one flipped byte in the middle fails with IntegrityError naming the artifact`, async () => {
    const result = await backup(compression);
    const corrupted = Buffer.from(result.stored);
    const at = Math.floor(corrupted.length / 2);
    corrupted[at] = (corrupted[at] ?? 0) ^ 0x40;
    await assert.rejects(readBack(corrupted, result, compression), namesArtifact);
  });

  test(`${compression}: extra bytes after the end fail with IntegrityError`, async () => {
    const result = await backup(compression);
    const longer = Buffer.concat([result.stored, Buffer.from("tail")]);
    await assert.rejects(readBack(longer, result, compression), namesArtifact);
  });

  test(`${compression}: a wrong recorded raw hash fails at the end even when stored bytes are intact`, async () => {
    const result = await backup(compression);
    await assert.rejects(readBack(result.stored, result, compression, { rawSha256: "0".repeat(64) }),
      (err) => namesArtifact(err) && /decompressed content has sha256/.test((err as Error).message));
  });
}

test("a stored object that is not zstd at all fails with IntegrityError (decode error, hashes ignored)", async () => {
  const junk = Buffer.from("this is not a zstd frame, just text".repeat(100));
  await assert.rejects(
    collect(openVerifiedStream(Readable.from([junk]), {
      name: NAME, compression: "zstd", storedBytes: junk.length, storedSha256: "f".repeat(64),
    })),
    (err) => namesArtifact(err) && /does not decompress as zstd|sha256/.test((err as Error).message),
  );
});

test("decompression stops as soon as it exceeds the recorded raw size", async () => {
  const result = await backup("zstd");
  await assert.rejects(readBack(result.stored, result, "zstd", { rawBytes: 1000, rawSha256: undefined }),
    (err) => namesArtifact(err) && /more than 1000/.test((err as Error).message));
});

test("destroying the verified stream early destroys the stored stream", async () => {
  const stored = lazySource(64 * 1024 * 1024);
  const out = openVerifiedStream(stored, { name: NAME, compression: "none", storedBytes: 64 * 1024 * 1024, storedSha256: "0".repeat(64) });
  for await (const _chunk of out) break;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stored.destroyed, true);
  assert.ok(stored.produced() < 4 * 1024 * 1024);
});

test("aborting the signal fails the verified stream with CancelledError", async () => {
  const stored = lazySource(64 * 1024 * 1024);
  const controller = new AbortController();
  const out = openVerifiedStream(stored, {
    name: NAME, compression: "none", storedBytes: 64 * 1024 * 1024, storedSha256: "0".repeat(64), signal: controller.signal,
  });
  await assert.rejects(async () => {
    for await (const _chunk of out) controller.abort();
  }, CancelledError);
  assert.equal(stored.destroyed, true);
});

test("the verified read reports stored bytes read, ending with the total", async () => {
  const result = await backup("gzip");
  const seen: number[] = [];
  await collect(openVerifiedStream(Readable.from([result.stored]), {
    name: NAME, compression: "gzip", storedBytes: result.storedBytes, storedSha256: result.storedSha256,
    progressIntervalMs: 0, onProgress: (n) => seen.push(n),
  }));
  assert.ok(seen.length >= 2);
  assert.equal(seen.at(-1), result.storedBytes);
  assert.deepEqual(seen, [...seen].sort((a, b) => a - b), "monotonic");
});
