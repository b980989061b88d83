/**
 * The Qdrant client's snapshot transfers (`uploadSnapshot`, `downloadSnapshot`, streamed through `node:http`)
 * against small HTTP servers of the test's own that hold the body back or answer early: the source is read
 * only as fast as the server takes bytes, the bytes arrive intact with the API key, priority and checksum, and
 * every way an upload can end early (refusal, failing source, cancellation, stall, no server, untrusted
 * certificate) gives the client's error and releases the source; a download is read from the server only as
 * fast as its reader takes it, and fails by name when refused or stalled.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import v8 from "node:v8";
import vm from "node:vm";
import busboy from "busboy";
import { CancelledError, EngineError, IntegrityError } from "../../../src/core/errors.ts";
import { QdrantClient } from "../../../src/engines/qdrant/client.ts";
import { makeTestCertificates } from "../../fixtures/tls.ts";

const MiB = 1024 * 1024;
const CHECKSUM = "ab".repeat(32);
const OK = JSON.stringify({ result: true, status: "ok", time: 0 });

/** A source of `total` deterministic bytes in 64 KiB chunks that counts what was read from it and hashes it. */
function source(total: number, failAt?: { bytes: number; error: Error }): { stream: Readable; pulled: () => number; sha256: () => string } {
  const hash = createHash("sha256");
  let pulled = 0;
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (failAt && pulled >= failAt.bytes) return void this.destroy(failAt.error);
      if (pulled >= total) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(64 * 1024, total - pulled));
      for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((pulled + i) * 2654435761 >>> 0, i);
      pulled += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled, sha256: () => hash.digest("hex") };
}

/** An HTTP(S) server on a free loopback port running `handler`; `close()` ends it and its connections. */
async function serve(handler: http.RequestListener, tls?: { key: Buffer; cert: Buffer }): Promise<{ url: string; close: () => Promise<void> }> {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Waits until `read()` stops changing between two looks (or reaches `limit`), and returns it. */
async function settled(read: () => number, limit: number): Promise<number> {
  let last = -1;
  while (read() !== last && read() < limit) {
    last = read();
    await sleep(100);
  }
  return read();
}

/** Waits until `condition()` holds; false when it did not within `tries` looks. */
async function until(condition: () => boolean, tries = 1000): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (condition()) return true;
    await sleep(10);
  }
  return condition();
}

test("the source is read only as fast as the server takes the bytes, and every byte arrives with the key, priority and checksum", async () => {
  const total = 96 * MiB;
  const src = source(total);
  let received = 0;
  let aheadMax = 0;
  let seen: { url: string; headers: http.IncomingHttpHeaders; sha256: string; fileName: string; size: number } | undefined;
  let start: (() => void) | undefined;
  const server = await serve((req, res) => {
    req.pause();
    // Nothing reads the body until the test calls start().
    start = () => {
      req.on("data", (chunk: Buffer) => {
        received += chunk.length;
        aheadMax = Math.max(aheadMax, src.pulled() - received);
      });
      const parser = busboy({ headers: req.headers });
      parser.on("file", (field, file, info) => {
        const hash = createHash("sha256");
        let size = 0;
        file.on("data", (bytes: Buffer) => {
          hash.update(bytes);
          size += bytes.length;
        });
        file.on("end", () => {
          seen = { url: req.url ?? "", headers: req.headers, sha256: hash.digest("hex"), fileName: `${field}:${info.filename}`, size };
        });
      });
      parser.on("close", () => res.writeHead(200, { "content-type": "application/json" }).end(OK));
      req.pipe(parser);
    };
  });
  try {
    const client = new QdrantClient({ url: server.url, apiKey: "upload-key-1" });
    const upload = client.uploadSnapshot("knowbase", "knowbase-restore.snapshot", src.stream, CHECKSUM, new AbortController().signal);
    // The server reads nothing yet: only what the socket buffers hold may have left the source.
    const held = await settled(src.pulled, total);
    assert.ok(start, "the request reached the server");
    assert.ok(held < 32 * MiB, `the source was read ${(held / MiB).toFixed(1)} MiB ahead of a server that read nothing (of ${total / MiB} MiB)`);
    start();
    await upload;
    assert.ok(aheadMax < 32 * MiB, `the source ran ${(aheadMax / MiB).toFixed(1)} MiB ahead of the server`);
    assert.ok(seen, "the snapshot part arrived whole");
    assert.equal(seen.size, total);
    assert.equal(seen.sha256, src.sha256(), "the server received exactly the source's bytes");
    assert.equal(seen.fileName, "snapshot:knowbase-restore.snapshot");
    assert.equal(seen.headers["api-key"], "upload-key-1");
    const query = new URL(seen.url, server.url);
    assert.equal(query.pathname, "/collections/knowbase/snapshots/upload");
    assert.deepEqual(Object.fromEntries(query.searchParams), { wait: "true", priority: "snapshot", checksum: CHECKSUM });
  } finally {
    await server.close();
  }
});

test("the upload keeps nothing it sent: when the last byte arrives, a full GC leaves a few MiB of buffers of the 128 MiB sent", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const total = 128 * MiB;
  let before = 0;
  let held: number | undefined;
  const server = await serve((req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => {
      // V8 frees the buffers a collection found dead on a background thread, which lags on a loaded
      // machine: look a few times, and keep the least. A client that keeps what it sent stays above the bound.
      void (async () => {
        for (let look = 0; look < 10 && (held === undefined || held - before >= 16 * MiB); look++) {
          gc();
          await sleep(50);
          held = Math.min(held ?? Number.POSITIVE_INFINITY, process.memoryUsage().arrayBuffers);
        }
        res.writeHead(200, { "content-type": "application/json" }).end(OK);
      })();
    });
  });
  try {
    gc();
    before = process.memoryUsage().arrayBuffers;
    await new QdrantClient({ url: server.url }).uploadSnapshot("knowbase", "k.snapshot", source(total).stream, CHECKSUM, new AbortController().signal);
    assert.ok(held !== undefined);
    assert.ok(held - before < 16 * MiB, `${((held - before) / MiB).toFixed(1)} MiB of buffers were still held when the last of ${total / MiB} MiB arrived`);
  } finally {
    await server.close();
  }
});

test("an answer before the body was sent ends the upload: a refused API key says so, without the key, and releases the source", async () => {
  const server = await serve((_req, res) => {
    res.writeHead(401, { "content-type": "text/plain" }).end("Invalid API key or JWT");
  });
  try {
    const src = source(256 * MiB);
    const client = new QdrantClient({ url: server.url, apiKey: "wrong-key-2" });
    await assert.rejects(
      client.uploadSnapshot("knowbase", "k.snapshot", src.stream, CHECKSUM, new AbortController().signal),
      (err: unknown) => err instanceof EngineError && /refused the API key \(401\)/.test(err.message) && !err.message.includes("wrong-key-2"),
    );
    assert.ok(src.stream.destroyed, "the source is released");
    assert.ok(src.pulled() < 256 * MiB, "the rest of the source was not read");
  } finally {
    await server.close();
  }
});

test("a Qdrant error answer is the client's error with Qdrant's message", async () => {
  const server = await serve((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ status: { error: "Checksum mismatch: expected ab…, actual cd…" }, time: 0 })));
  });
  try {
    const client = new QdrantClient({ url: server.url });
    await assert.rejects(
      client.uploadSnapshot("rfp_qa", "r.snapshot", source(2 * MiB).stream, CHECKSUM, new AbortController().signal),
      (err: unknown) => err instanceof EngineError && err.message === `Qdrant at ${server.url} (POST /collections/rfp_qa/snapshots/upload) answered 400: Checksum mismatch: expected ab…, actual cd…`,
    );
  } finally {
    await server.close();
  }
});

test("a source that fails mid-upload fails it with the source's own error; cancelling fails it with CancelledError", async () => {
  let aborted = 0;
  const server = await serve((req) => {
    req.resume();
    req.on("close", () => {
      if (!req.complete) aborted++;
    });
  });
  try {
    const client = new QdrantClient({ url: server.url });
    const corrupt = new IntegrityError("Artifact \"qdrant/knowbase-snapshot.tar\": the stored object is corrupted.");
    const failing = source(64 * MiB, { bytes: 4 * MiB, error: corrupt });
    await assert.rejects(client.uploadSnapshot("knowbase", "k.snapshot", failing.stream, CHECKSUM, new AbortController().signal), (err: unknown) => err === corrupt);

    const controller = new AbortController();
    const cancelled = source(256 * MiB);
    const upload = client.uploadSnapshot("knowbase", "k.snapshot", cancelled.stream, CHECKSUM, controller.signal);
    assert.ok(await until(() => cancelled.pulled() >= 2 * MiB), "the upload started");
    controller.abort();
    await assert.rejects(upload, (err: unknown) => err instanceof CancelledError && /Cancelled while calling Qdrant/.test(err.message));
    assert.ok(cancelled.stream.destroyed, "the source is released");
    assert.ok(await until(() => aborted === 2), `the server saw both requests end before their body did (${aborted} did)`);
  } finally {
    await server.close();
  }
});

test("a server that takes no byte and never answers fails the upload after the idle timeout", async () => {
  const server = await serve((req) => req.pause());
  try {
    const src = source(64 * MiB);
    const client = new QdrantClient({ url: server.url, transferIdleTimeoutMs: 300 });
    await assert.rejects(
      client.uploadSnapshot("knowbase", "k.snapshot", src.stream, CHECKSUM, new AbortController().signal),
      (err: unknown) => err instanceof EngineError && /moved no byte for 0.3 s: the upload stalled/.test(err.message),
    );
    assert.ok(src.stream.destroyed);
  } finally {
    await server.close();
  }
});

test("no server, or a certificate that is not trusted: the client's errors, the source released", async () => {
  const closed = await serve(() => undefined);
  await closed.close();
  const client = new QdrantClient({ url: closed.url });
  const src = source(MiB);
  await assert.rejects(client.uploadSnapshot("knowbase", "k.snapshot", src.stream, CHECKSUM, new AbortController().signal), (err: unknown) => err instanceof EngineError && /Cannot reach Qdrant at .*ECONNREFUSED/.test(err.message));
  assert.ok(src.stream.destroyed);

  const certs = await makeTestCertificates();
  const secure = await serve((req, res) => req.resume().on("end", () => res.end(OK)), { key: await readFile(certs.serverKey), cert: await readFile(certs.serverCert) });
  try {
    await assert.rejects(
      new QdrantClient({ url: secure.url }).uploadSnapshot("knowbase", "k.snapshot", source(MiB).stream, CHECKSUM, new AbortController().signal),
      (err: unknown) => err instanceof EngineError && /TLS certificate is not trusted/.test(err.message) && /NODE_EXTRA_CA_CERTS/.test(err.hint ?? ""),
    );
  } finally {
    await secure.close();
    await certs.dispose();
  }
});

test("a download is read from the server only as fast as its reader takes it, and arrives whole with the key", async () => {
  const src = source(64 * MiB);
  let apiKey: string | undefined;
  let path = "";
  const server = await serve((req, res) => {
    apiKey = req.headers["api-key"] as string | undefined;
    path = req.url ?? "";
    res.writeHead(200, { "content-type": "application/octet-stream" });
    src.stream.pipe(res);
  });
  try {
    const client = new QdrantClient({ url: server.url, apiKey: "download-key" });
    const body = await client.downloadSnapshot("my collection", "k.snapshot", new AbortController().signal);
    // Nobody reads yet: the server can send no more than what the sockets' buffers hold.
    const held = await settled(src.pulled, 64 * MiB);
    assert.ok(held < 16 * MiB, `${held / MiB} MiB pulled from the source while nothing was read`);
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of body) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    assert.equal(bytes, 64 * MiB);
    assert.equal(hash.digest("hex"), src.sha256());
    assert.equal(apiKey, "download-key");
    assert.equal(path, "/collections/my%20collection/snapshots/k.snapshot");
  } finally {
    await server.close();
  }
});

test("a download refused, missing, stalled, cut off or cancelled fails with the client's errors", async () => {
  const server = await serve((req, res) => {
    if (req.url?.includes("refused")) return void res.writeHead(403).end("forbidden");
    if (req.url?.includes("missing")) return void res.writeHead(404).end(JSON.stringify({ status: { error: "Snapshot not found" }, time: 0 }));
    res.writeHead(200, { "content-length": String(MiB) });
    res.write(Buffer.alloc(1024)); // then silence
    if (req.url?.includes("cut")) setTimeout(() => res.destroy(), 50);
  });
  const readAll = async (body: Readable): Promise<void> => {
    for await (const chunk of body) void chunk;
  };
  try {
    const client = new QdrantClient({ url: server.url, apiKey: "secret-key", transferIdleTimeoutMs: 300 });
    const signal = new AbortController().signal;
    await assert.rejects(client.downloadSnapshot("c", "refused", signal), (err: unknown) => err instanceof EngineError && /refused the API key \(403\)/.test(err.message) && !err.message.includes("secret-key"));
    await assert.rejects(client.downloadSnapshot("c", "missing", signal), (err: unknown) => err instanceof Error && /Snapshot not found/.test(err.message));
    await assert.rejects(readAll(await client.downloadSnapshot("c", "stalls", signal)), (err: unknown) => err instanceof EngineError && /sent no byte for 0.3 s: the download stalled/.test(err.message));
    await assert.rejects(readAll(await client.downloadSnapshot("c", "cut", signal)), (err: unknown) => err instanceof EngineError && /broke off the download/.test(err.message));
    const cancel = new AbortController();
    const body = await client.downloadSnapshot("c", "cancelled", cancel.signal);
    setTimeout(() => cancel.abort(), 50);
    await assert.rejects(readAll(body), (err: unknown) => err instanceof CancelledError);
  } finally {
    await server.close();
  }
});
