import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import zlib from "node:zlib";
import { runBackupPipeline, openVerifiedStream, COMPRESSIONS, type Compression } from "../../src/pipeline/index.ts";
import { collect, dumpLike, sha256 } from "./helpers.ts";

const data = dumpLike(3 * 1024 * 1024 + 123, 42);

/** Decompresses with zlib's one-shot functions, independently of the pipeline's streams. */
function independentDecompress(compression: Compression, stored: Buffer): Buffer {
  if (compression === "zstd") return zlib.zstdDecompressSync(stored);
  if (compression === "gzip") return zlib.gunzipSync(stored);
  return stored;
}

for (const compression of COMPRESSIONS) {
  test(`${compression}: backup then verified read gives back the same bytes, hashes match crypto`, async () => {
    const progress: number[] = [];
    const result = await runBackupPipeline({
      source: Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      compression,
      store: (body) => collect(body),
      onProgress: (p) => progress.push(p.rawBytes),
      progressIntervalMs: 0,
    });
    const stored = result.stored;
    assert.equal(result.rawBytes, data.length);
    assert.equal(result.rawSha256, sha256(data));
    assert.equal(result.storedBytes, stored.length);
    assert.equal(result.storedSha256, sha256(stored));
    assert.ok(independentDecompress(compression, stored).equals(data), "stored bytes decompress to the source");
    if (compression === "none") assert.ok(stored.equals(data));
    else assert.ok(stored.length < data.length / 2, `${compression} compresses dump-like text (${stored.length})`);
    assert.equal(progress.at(-1), data.length, "the last progress call carries the final total");

    const restored = await collect(
      openVerifiedStream(Readable.from([stored]), {
        name: "neo4j/neo4j-backup.cypher",
        compression,
        storedBytes: result.storedBytes,
        storedSha256: result.storedSha256,
        rawBytes: result.rawBytes,
        rawSha256: result.rawSha256,
      }),
    );
    assert.ok(restored.equals(data), "restored bytes equal the source");
  });
}

test("an empty source gives an empty artifact that still round-trips", async () => {
  for (const compression of COMPRESSIONS) {
    const result = await runBackupPipeline({ source: Readable.from([]), compression, store: (b) => collect(b) });
    assert.equal(result.rawBytes, 0);
    assert.equal(result.rawSha256, sha256(Buffer.alloc(0)));
    const back = await collect(openVerifiedStream(Readable.from([result.stored]), {
      name: "empty", compression, storedBytes: result.storedBytes, storedSha256: result.storedSha256, rawBytes: 0,
    }));
    assert.equal(back.length, 0);
  }
});

test("the zstd level option changes the output, both levels decompress", async () => {
  const fast = await runBackupPipeline({ source: Readable.from([data]), compression: "zstd", level: 1, store: (b) => collect(b) });
  const strong = await runBackupPipeline({ source: Readable.from([data]), compression: "zstd", level: 9, store: (b) => collect(b) });
  assert.notEqual(fast.storedSha256, strong.storedSha256);
  assert.ok(zlib.zstdDecompressSync(fast.stored).equals(data));
  assert.ok(zlib.zstdDecompressSync(strong.stored).equals(data));
});
