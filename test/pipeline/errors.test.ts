import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { once } from "node:events";
import { runBackupPipeline, DEFAULT_BLOCK_BYTES, defaultParallelism, type StoreFunction } from "../../src/pipeline/index.ts";
import { CancelledError, EngineError, TargetError } from "../../src/core/errors.ts";
import { collect, lazySource, sleep } from "./helpers.ts";

/** A store that records what it was given, reads slowly and reports how it ended. */
function watchedStore(onChunk?: (n: number) => void): {
  store: StoreFunction<number>;
  seen: { body?: Readable; signal?: AbortSignal; settled?: "resolved" | "rejected" };
} {
  const seen: { body?: Readable; signal?: AbortSignal; settled?: "resolved" | "rejected" } = {};
  const store: StoreFunction<number> = async (body, { signal }) => {
    seen.body = body;
    seen.signal = signal;
    let n = 0;
    try {
      for await (const chunk of body) {
        n += (chunk as Buffer).length;
        onChunk?.(n);
        await sleep(1);
      }
      seen.settled = "resolved";
      return n;
    } catch (err) {
      seen.settled = "rejected";
      throw err;
    }
  };
  return { store, seen };
}

test("a source error rejects the run with that error and tears the store down", async () => {
  const boom = new EngineError("Neo4j closed the connection.");
  let sent = 0;
  const source = new Readable({
    read() {
      sent++;
      if (sent === 5) this.destroy(boom);
      else this.push(Buffer.alloc(64 * 1024, 1));
    },
  });
  const { store, seen } = watchedStore();
  await assert.rejects(runBackupPipeline({ source, compression: "zstd", store }), (err) => err === boom);
  assert.equal(seen.settled, "rejected", "the store saw the failure and settled before the run rejected");
  assert.equal(seen.body?.destroyed, true);
  assert.equal(seen.signal?.aborted, true, "the store's signal aborted");
});

test("a store error rejects the run with that error and destroys the source", async () => {
  const source = lazySource(64 * 1024 * 1024, true);
  const fail = new TargetError("S3 refused the part.");
  const store: StoreFunction<void> = async (body) => {
    let n = 0;
    for await (const chunk of body) {
      n += (chunk as Buffer).length;
      if (n > 256 * 1024) throw fail;
    }
  };
  await assert.rejects(runBackupPipeline({ source, compression: "gzip", store }), (err) => err === fail);
  assert.equal(source.destroyed, true);
  // At most the blocks in flight, the one being filled and the stages' buffers were read ahead.
  const bound = (defaultParallelism() + 2) * DEFAULT_BLOCK_BYTES;
  assert.ok(source.produced() < bound, `source stopped early (${source.produced()} bytes read, bound ${bound})`);
});

test("aborting the signal mid-stream rejects with CancelledError and stops every stage", async () => {
  const source = lazySource(1024 * 1024 * 1024);
  const controller = new AbortController();
  const { store, seen } = watchedStore((n) => {
    if (n > 512 * 1024) controller.abort(new Error("Ctrl-C"));
  });
  await assert.rejects(
    runBackupPipeline({ source, compression: "none", store, signal: controller.signal }),
    (err) => err instanceof CancelledError,
  );
  assert.equal(source.destroyed, true);
  assert.equal(seen.body?.destroyed, true);
  assert.equal(seen.signal?.aborted, true);
  assert.equal(seen.settled, "rejected");
});

test("an already aborted signal rejects at once without calling the store", async () => {
  const source = lazySource(1024);
  let called = false;
  await assert.rejects(
    runBackupPipeline({
      source, compression: "zstd", signal: AbortSignal.abort(),
      store: async (b) => { called = true; await collect(b); },
    }),
    CancelledError,
  );
  assert.equal(called, false);
  assert.equal(source.destroyed, true);
});

test("a store that returns before reading everything is an error, not a silent short artifact", async () => {
  const source = lazySource(16 * 1024 * 1024);
  await assert.rejects(
    runBackupPipeline({ source, compression: "none", store: async () => "done" }),
    (err) => err instanceof TargetError && /before it had read the whole artifact/.test(err.message),
  );
  assert.equal(source.destroyed, true);
});

test("a store that throws synchronously rejects the run and destroys the source", async () => {
  const source = lazySource(16 * 1024 * 1024);
  const bad = new TargetError("no such bucket");
  await assert.rejects(
    runBackupPipeline({ source, compression: "zstd", store: () => { throw bad; } }),
    (err) => err === bad,
  );
  if (!source.destroyed) await once(source, "close");
  assert.equal(source.destroyed, true);
});
