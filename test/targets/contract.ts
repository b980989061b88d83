/**
 * The conformance suite of the Target contract (src/targets/target.ts). Every implementation runs it:
 * `targetContract("local", open, options)` from its own test file. Each test works under its own random prefix,
 * so the suite can share a bucket or folder with other runs.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CancelledError, NotFoundError, PreconditionFailedError, TargetError } from "../../src/core/errors.ts";
import { getBytes, listAll, type Target } from "../../src/targets/target.ts";
import { deferred, generated, generatedBytes, readAll } from "./data.ts";

export interface ContractSubject {
  target: Target;
  /** Asserts that nothing else of a failed put remains at `key` (for S3: no multipart upload). */
  assertNoLeftovers?: (key: string) => Promise<void>;
  /** Removes what the suite created; called after `target.close()`. */
  cleanup?: () => Promise<void>;
}

export interface ContractOptions {
  /** Size of a "large" body: for S3, more than one multipart part. @default 1 MiB */
  largeSize?: number;
  /**
   * Whether conditional puts stay exclusive when writers race (true for memory, local and AWS S3). A server
   * that checks and then writes in two steps sets false, and the race test is left out for it.
   */
  atomicConditionalPuts: boolean;
}

/** Registers the whole contract suite for the target that `open` returns. */
export function targetContract(name: string, open: () => Promise<ContractSubject>, options: ContractOptions): void {
  const large = options.largeSize ?? 1024 * 1024;
  describe(`Target contract: ${name}`, () => {
    let s: ContractSubject;
    let t: Target;
    const run = randomBytes(4).toString("hex");
    let n = 0;
    /** A fresh prefix for one test: `contract-{run}/{n}/`. */
    const fresh = () => `contract-${run}/${++n}/`;
    const leftovers = async (key: string) => {
      assert.equal(await t.head(key), undefined, `${key} must not exist`);
      assert.deepEqual((await t.list(key)).objects, [], `nothing listed under ${key}`);
      await s.assertNoLeftovers?.(key);
    };

    before(async () => {
      s = await open();
      t = s.target;
    });
    after(async () => {
      await t.close();
      await s.cleanup?.();
    });

    test("streams a body of unknown size, reads it back whole, heads it, reports progress", async () => {
      const key = `${fresh()}blob.bin`;
      const expected = await generatedBytes(large + 12345, { seed: 7 });
      const seen: number[] = [];
      const put = await t.put(key, generated(large + 12345, { seed: 7 }), { onProgress: (b) => seen.push(b) });
      assert.equal(put.size, expected.length);
      assert.ok(put.etag.length > 0);
      assert.ok(seen.length > 0 && seen.at(-1)! <= expected.length && seen.every((v, i) => i === 0 || v >= seen[i - 1]!));
      assert.ok((await getBytes(t, key)).equals(expected), "content read back equals content written");
      const info = await t.head(key);
      assert.equal(info?.key, key);
      assert.equal(info?.size, expected.length);
      assert.equal(info?.etag, put.etag);
      assert.ok(info.lastModified instanceof Date && Math.abs(info.lastModified.getTime() - Date.now()) < 5 * 60_000);
    });

    test("puts bytes, strings and empty bodies", async () => {
      const p = fresh();
      await t.put(`${p}bytes`, new Uint8Array([0, 1, 2, 255]));
      await t.put(`${p}text`, "héllo ✓\n");
      await t.put(`${p}empty`, "");
      assert.deepEqual([...(await getBytes(t, `${p}bytes`))], [0, 1, 2, 255]);
      assert.equal((await getBytes(t, `${p}text`)).toString("utf8"), "héllo ✓\n");
      assert.equal((await getBytes(t, `${p}empty`)).length, 0);
      assert.equal((await t.head(`${p}empty`))?.size, 0);
    });

    test("reads byte ranges (inclusive ends, open end, clamped end) and refuses a range past the end", async () => {
      const key = `${fresh()}ranged`;
      const data = await generatedBytes(100_000, { seed: 3 });
      await t.put(key, data);
      const range = async (start: number, end?: number) =>
        getBytes(t, key, { range: end === undefined ? { start } : { start, end } });
      assert.ok((await range(0, 9)).equals(data.subarray(0, 10)));
      assert.ok((await range(99_990)).equals(data.subarray(99_990)));
      assert.ok((await range(50_000, 50_000)).equals(data.subarray(50_000, 50_001)));
      assert.ok((await range(99_000, 200_000)).equals(data.subarray(99_000)));
      await assert.rejects(range(100_000), TargetError);
      await assert.rejects(range(10, 5), TargetError);
      await assert.rejects(range(-1, 5), TargetError);
    });

    test("get of a missing key rejects with NotFoundError; head returns undefined", async () => {
      const key = `${fresh()}missing`;
      await assert.rejects(t.get(key), NotFoundError);
      assert.equal(await t.head(key), undefined);
    });

    test("lists in ascending key order across several pages, only under the prefix", async () => {
      const p = fresh();
      const names = ["b", "a/x", "a-b", "a/y/z", "a/y/a", "c.json", "a0", "ab/c"];
      for (const [i, name] of names.entries()) await t.put(`${p}${name}`, `v${i}`);
      await t.put(`${fresh()}outside`, "x");
      const expected = names.map((k) => `${p}${k}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      const pages: string[][] = [];
      let token: string | undefined;
      do {
        const page = await t.list(p, { pageSize: 3, ...(token === undefined ? {} : { token }) });
        assert.ok(page.objects.length <= 3);
        pages.push(page.objects.map((o) => o.key));
        for (const o of page.objects) assert.equal(o.size, (await t.head(o.key))?.size);
        token = page.next;
      } while (token !== undefined);
      assert.ok(pages.length >= 3, `several pages (got ${pages.length})`);
      assert.deepEqual(pages.flat(), expected);
      const all = [];
      for await (const o of listAll(t, `${p}a/`, { pageSize: 1 })) all.push(o.key);
      assert.deepEqual(all, [`${p}a/x`, `${p}a/y/a`, `${p}a/y/z`]);
      assert.deepEqual((await t.list(`${p}a/y/`)).objects.map((o) => o.etag), [
        (await t.head(`${p}a/y/a`))?.etag,
        (await t.head(`${p}a/y/z`))?.etag,
      ]);
      assert.deepEqual((await t.list(`${p}nothing-here/`)).objects, []);
    });

    test("delete removes the object and is idempotent", async () => {
      const p = fresh();
      await t.put(`${p}gone`, "bye");
      await t.put(`${p}kept`, "stay");
      await t.delete(`${p}gone`);
      await t.delete(`${p}gone`);
      await t.delete(`${p}never-existed`);
      assert.equal(await t.head(`${p}gone`), undefined);
      await assert.rejects(t.get(`${p}gone`), NotFoundError);
      assert.deepEqual((await t.list(p)).objects.map((o) => o.key), [`${p}kept`]);
    });

    test("ifAbsent writes a new key and refuses an existing one, leaving it untouched", async () => {
      const key = `${fresh()}once`;
      const first = await t.put(key, "first", { ifAbsent: true });
      await assert.rejects(t.put(key, "second", { ifAbsent: true }), PreconditionFailedError);
      assert.equal((await getBytes(t, key)).toString(), "first");
      assert.equal((await t.head(key))?.etag, first.etag);
    });

    test("ifMatch writes over the matching version only", async () => {
      const key = `${fresh()}versioned`;
      const v1 = await t.put(key, "v1");
      const v2 = await t.put(key, "v2", { ifMatch: v1.etag });
      assert.notEqual(v2.etag, v1.etag);
      await assert.rejects(t.put(key, "stale", { ifMatch: v1.etag }), PreconditionFailedError);
      assert.equal((await getBytes(t, key)).toString(), "v2");
      await assert.rejects(t.put(`${key}-missing`, "x", { ifMatch: v1.etag }), PreconditionFailedError);
      assert.equal(await t.head(`${key}-missing`), undefined);
      const v3 = await t.put(key, "v3 longer", { ifMatch: v2.etag });
      assert.equal((await t.head(key))?.etag, v3.etag);
    });

    if (options.atomicConditionalPuts) {
      test("racing ifAbsent writers: exactly one wins", async () => {
        const key = `${fresh()}race`;
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) => t.put(key, generated(64 * 1024 + i, { seed: i }), { ifAbsent: true })),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        assert.equal(won.length, 1);
        for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof PreconditionFailedError);
        const size = (won[0] as PromiseFulfilledResult<{ size: number }>).value.size;
        assert.equal((await t.head(key))?.size, size);
      });
    }

    test("an overwrite is atomic: readers see the old object until the new one is complete", async () => {
      const key = `${fresh()}swap`;
      const old = await generatedBytes(200_000, { seed: 11 });
      const v1 = await t.put(key, old);
      const gate = deferred();
      const reached = deferred();
      const writing = t.put(key, generated(large, { seed: 12, pauseAfter: large - 100_000, gate: gate.promise, onPause: reached.resolve }));
      await reached.promise;
      assert.ok((await getBytes(t, key)).equals(old), "old content while the new one is being written");
      assert.equal((await t.head(key))?.etag, v1.etag);
      gate.resolve();
      const v2 = await writing;
      assert.equal(v2.size, large);
      assert.ok((await getBytes(t, key)).equals(await generatedBytes(large, { seed: 12 })));
    });

    test("a source that fails mid-way rejects with its error and leaves nothing (old object kept)", async () => {
      const p = fresh();
      const boom = new Error("disk on fire");
      await assert.rejects(t.put(`${p}new`, generated(large + 65536, { failAfter: large, failWith: boom })), (err) => err === boom);
      await leftovers(`${p}new`);
      const v1 = await t.put(`${p}old`, "previous");
      await assert.rejects(t.put(`${p}old`, generated(large + 65536, { failAfter: large, failWith: boom })), (err) => err === boom);
      assert.equal((await getBytes(t, `${p}old`)).toString(), "previous");
      assert.equal((await t.head(`${p}old`))?.etag, v1.etag);
      await s.assertNoLeftovers?.(`${p}old`);
    });

    test("an aborted put rejects with CancelledError and leaves nothing", async () => {
      const p = fresh();
      await assert.rejects(t.put(`${p}pre`, "x", { signal: AbortSignal.abort() }), CancelledError);
      await leftovers(`${p}pre`);
      const controller = new AbortController();
      const gate = deferred();
      const writing = t.put(
        `${p}mid`,
        generated(large + 65536, { pauseAfter: large, gate: gate.promise, onPause: () => controller.abort() }),
        { signal: controller.signal },
      );
      setTimeout(gate.resolve, 50);
      await assert.rejects(writing, CancelledError);
      await leftovers(`${p}mid`);
    });

    test("an aborted read stops the stream with CancelledError", async () => {
      const key = `${fresh()}read-abort`;
      await t.put(key, generated(large, { seed: 5 }));
      const controller = new AbortController();
      const stream = await t.get(key, { signal: controller.signal });
      controller.abort();
      await assert.rejects(readAll(stream), CancelledError);
    });

    test("refuses keys that could escape the root", async () => {
      for (const bad of ["", "/abs", "a/../b", "..", "a//b", "a/./b", "trailing/", "back\\slash", "nul\u0000"]) {
        await assert.rejects(t.put(bad, "x"), TargetError, `put ${JSON.stringify(bad)}`);
        await assert.rejects(t.get(bad), TargetError, `get ${JSON.stringify(bad)}`);
      }
      await assert.rejects(t.list("../"), TargetError);
    });
  });
}
