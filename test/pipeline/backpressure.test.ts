import { test } from "node:test";
import assert from "node:assert/strict";
import { runBackupPipeline, DEFAULT_BLOCK_BYTES, defaultParallelism } from "../../src/pipeline/index.ts";
import { lazySource, sleep } from "./helpers.ts";

test("a slow store holds the source back: read-ahead stays bounded (compression none)", async () => {
  const size = 64 * 1024 * 1024;
  const source = lazySource(size);
  let consumed = 0;
  let maxLag = 0;
  const result = await runBackupPipeline({
    source,
    compression: "none",
    store: async (body) => {
      for await (const chunk of body) {
        consumed += (chunk as Buffer).length;
        maxLag = Math.max(maxLag, source.produced() - consumed);
        await sleep(1); // about 64 MiB/s at most: far slower than the source
      }
    },
  });
  assert.equal(result.rawBytes, size);
  assert.ok(maxLag < 1024 * 1024, `the source ran at most 1 MiB ahead of the store (was ${maxLag})`);
});

test("a slow store with zstd holds back 256 MiB of incompressible data: read-ahead and memory stay bounded", async () => {
  const size = 256 * 1024 * 1024;
  const source = lazySource(size, true);
  const base = process.memoryUsage().rss;
  let consumed = 0;
  let maxLag = 0;
  let peakRss = 0;
  let chunks = 0;
  const result = await runBackupPipeline({
    source,
    compression: "zstd",
    store: async (body) => {
      for await (const chunk of body) {
        // Random bytes do not compress: stored bytes track raw bytes, so the lag measures buffering.
        consumed += (chunk as Buffer).length;
        maxLag = Math.max(maxLag, source.produced() - consumed);
        if (++chunks % 16 === 0) {
          peakRss = Math.max(peakRss, process.memoryUsage().rss - base);
          await sleep(1);
        }
      }
    },
  });
  assert.equal(result.rawBytes, size);
  assert.ok(result.storedBytes >= size, "random data does not compress, so every byte went through the store");
  // The block being filled and the blocks in flight, plus the stages' 64 KiB buffers.
  const bound = (defaultParallelism() + 1) * DEFAULT_BLOCK_BYTES + 2 * 1024 * 1024;
  assert.ok(maxLag < bound, `the source ran at most ${bound} bytes ahead of the store (was ${maxLag})`);
  // Generous: garbage not yet collected counts in RSS; buffering the stream would grow it by 256 MiB.
  assert.ok(peakRss < 96 * 1024 * 1024, `RSS grew by less than 96 MiB (grew by ${(peakRss / 1048576).toFixed(1)} MiB)`);
});
