/**
 * The S3 target against a stalled or cut-off server: the fault-injecting proxy of the reliability suite in
 * front of the real S3 server (versitygw), with exact faults queued for the next requests. A stalled request
 * is abandoned after the idle timeout and retried; when every attempt stalls the caller gets a TargetError
 * naming the endpoint (never a hang). A small object whose body is cut off part-way (a manifest, `latest`, a
 * lock) is read again.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { TargetError } from "../../src/core/errors.ts";
import { Emitter } from "../../src/core/events.ts";
import { readManifest } from "../../src/manifest/index.ts";
import { runBackup } from "../../src/plans/backup.ts";
import { readLatest } from "../../src/plans/latest.ts";
import { metadataKey } from "../../src/targets/layout.ts";
import { createS3Target } from "../../src/targets/s3.ts";
import { getBytes, type Target } from "../../src/targets/target.ts";
import { fakeEngine } from "../plans/fake-engine.ts";
import { startFaultProxy, type FaultProxy } from "../reliability/fault-proxy.ts";
import { deletePrefix, ensureBucket, s3Coordinates, s3Options } from "./s3-env.ts";

const c = s3Coordinates("S3");
const prefix = `faults-${randomBytes(3).toString("hex")}`;
let proxy: FaultProxy;
let direct: Target;
let faulty: Target;

before(async () => {
  await ensureBucket(c);
  // A stall lasts until the client gives up: only the target's own timeout ends it.
  proxy = await startFaultProxy(c.endpoint, 1, { rate: 0, stallMs: 600_000 });
  direct = await createS3Target(s3Options(c, { prefix }));
  faulty = await createS3Target(s3Options(c, { prefix, endpoint: proxy.url, requestTimeoutMs: 400, maxAttempts: 3 }));
});

after(async () => {
  await faulty.close();
  await proxy.close();
  await deletePrefix(c, `${prefix}/`);
  await direct.close();
});

test("s3: a stalled request is abandoned and retried; when every attempt stalls, a TargetError names the endpoint", async () => {
  await direct.put("stacks/s/latest", "2025-10-25T14-30-00Z");
  const first = proxy.injected.length;
  proxy.next = ["stall"];
  assert.equal((await getBytes(faulty, "stacks/s/latest")).toString(), "2025-10-25T14-30-00Z", "a stall once is retried");
  proxy.next = ["stall"];
  await faulty.put("stacks/s/lock", "{}");
  assert.equal((await getBytes(direct, "stacks/s/lock")).toString(), "{}", "a stalled write is retried");
  assert.deepEqual(proxy.injected.slice(first).map((f) => f.kind), ["stall", "stall"]);

  proxy.next = ["stall", "stall", "stall"];
  await assert.rejects(faulty.head("stacks/s/latest"), (err: unknown) => {
    assert.ok(err instanceof TargetError, String(err));
    assert.ok(err.message.includes(proxy.url), err.message);
    assert.match(err.message, /stopped answering \(no data for 0\.4 s\) after 3 attempts while reading stacks\/s\/latest/);
    assert.match(err.hint ?? "", /--s3-request-timeout/);
    return true;
  });
  assert.equal(proxy.injected.length - first, 5, "each of the 3 attempts met a stall");
  assert.deepEqual(proxy.next, []);
});

test("s3: a small object whose body is cut off part-way is read again; reads cut every time fail with a TargetError", async () => {
  const body = randomBytes(64 * 1024);
  await direct.put("stacks/s/small", body);
  proxy.next = ["truncate", "truncate"];
  assert.ok((await getBytes(faulty, "stacks/s/small")).equals(body), "the third read returns the whole object");
  assert.deepEqual(proxy.next, [], "both cut reads were retried");

  proxy.next = ["truncate", "truncate", "truncate"];
  await assert.rejects(getBytes(faulty, "stacks/s/small"), (err: unknown) => err instanceof TargetError && err.message.includes("stacks/s/small"));
  assert.deepEqual(proxy.next, []);
});

test("s3: a manifest and the latest pointer whose bodies are cut off once are read whole", async () => {
  const id = "2025-10-25T14-30-00Z";
  const store = { items: new Map([["nodes", Buffer.from("node data ".repeat(5000))]]), calls: [] };
  await runBackup({ stack: "m", target: direct, engines: [fakeEngine("neo4j", store)], compression: "none", toolVersion: "t", events: new Emitter(), signal: new AbortController().signal, backupId: id });
  const expected = await readManifest(direct, metadataKey("m", id));
  proxy.next = ["truncate"];
  assert.deepEqual(await readManifest(faulty, metadataKey("m", id)), expected);
  proxy.next = ["truncate"];
  assert.equal((await readLatest(faulty, "m"))?.pointer.backup_id, id);
  assert.deepEqual(proxy.next, [], "both cut reads happened");
});
