/**
 * Receiving snapshot files: the multipart field `snapshot` of an upload, or the body of an `http(s)://`
 * snapshot location, is streamed to a file under `DATA/tmp/` while its sha256 is computed, so a file of any
 * size takes one chunk of memory at a time. Other multipart fields are read and dropped.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import busboy from "busboy";
import { qdrantErrors } from "./http.ts";

/** A snapshot file received from a client. */
export interface ReceivedUpload {
  /** Where the bytes are (under `DATA/tmp/`); the caller moves or deletes it. */
  file: string;
  /** The multipart filename as sent, or undefined when the part had none. */
  fileName: string | undefined;
  size: number;
  /** sha256 of the bytes, lowercase hex. */
  sha256: string;
}

/**
 * Streams the `snapshot` part of a multipart request body to `target`. Rejects with Qdrant's 400 when the
 * request is not multipart or has no `snapshot` part; nothing is left at `target` then.
 */
export async function receiveSnapshotUpload(req: IncomingMessage, target: string): Promise<ReceivedUpload> {
  const type = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw qdrantErrors.badRequest(`expected a multipart/form-data body with a \`snapshot\` file, got ${type || "no content type"}`);
  }
  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: req.headers, limits: { files: 1 } });
  } catch (err) {
    throw qdrantErrors.badRequest(`cannot read the multipart body: ${(err as Error).message}`);
  }
  let received: Promise<ReceivedUpload> | undefined;
  parser.on("file", (field, stream, info) => {
    if (field !== "snapshot" || received) {
      stream.resume();
      return;
    }
    received = saveStream(stream, target, info.filename);
    // Keep the rejection for the caller; it must not count as unhandled meanwhile.
    received.catch(() => undefined);
  });
  try {
    await pipeline(req, parser);
  } catch (err) {
    await received?.catch(() => undefined);
    await rm(target, { force: true });
    throw qdrantErrors.badRequest(`cannot read the multipart body: ${(err as Error).message}`);
  }
  if (!received) throw qdrantErrors.badRequest("Multipart form field `snapshot` is missing");
  try {
    return await received;
  } catch (err) {
    await rm(target, { force: true });
    throw err;
  }
}

/** Downloads a snapshot from `url` to `target` (with `api-key` when given); Qdrant's 400 when that fails. */
export async function downloadSnapshot(url: URL, target: string, apiKey: string | undefined): Promise<ReceivedUpload> {
  let res: Response;
  try {
    res = await fetch(url, { headers: apiKey ? { "api-key": apiKey } : {} });
  } catch (err) {
    throw qdrantErrors.badRequest(`Failed to download snapshot from ${url.origin}${url.pathname}: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw qdrantErrors.badRequest(`Failed to download snapshot from ${url.origin}${url.pathname}: HTTP ${res.status}`);
  }
  try {
    return await saveStream(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), target, undefined);
  } catch (err) {
    await rm(target, { force: true });
    throw qdrantErrors.badRequest(`Failed to download snapshot from ${url.origin}${url.pathname}: ${(err as Error).message}`);
  }
}

// --- internal ---

async function saveStream(stream: AsyncIterable<unknown>, target: string, fileName: string | undefined): Promise<ReceivedUpload> {
  const hash = createHash("sha256");
  let size = 0;
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of stream) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      size += bytes.length;
      yield bytes;
    }
  }
  await pipeline(hashed(), createWriteStream(target));
  return { file: target, fileName: fileName || undefined, size, sha256: hash.digest("hex") };
}
