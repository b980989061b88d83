/**
 * Streams one object of unknown size into S3 with a bounded, reused set of part buffers.
 *
 * The body is copied into part buffers of `partSize` bytes. A body that ends within the first part goes up as
 * one PutObject; a longer one as a multipart upload, begun when the second part's first byte arrives, with up
 * to `queueSize` parts in flight while the next one fills, and completed at the end, so the object appears at
 * once. At most `queueSize + 1` buffers are ever allocated per upload, and each is reused as soon as its part is
 * stored: nothing is allocated per part, so the garbage collector has nothing to reclaim while the bytes flow
 * (lib-storage's `Upload` concatenates a fresh buffer for every part, which cost a full collection per part and
 * about a third of the upload's CPU under the project's tight old-space growth, see `core/node-flags.ts`).
 *
 * Each part carries its CRC-32 (`x-amz-checksum-crc32`, computed here by zlib's native `crc32`), which S3 checks
 * before it accepts the part (BadDigest otherwise), and goes with `x-amz-content-sha256: UNSIGNED-PAYLOAD`: SigV4
 * then signs the headers, the checksum among them, but does not hash the body. That sha256 of each part was
 * the largest cost of an upload besides the pipeline's own sha256 of the artifact. That one stays: the manifest
 * records it, and verify, and every restore before it changes anything, check it against the stored bytes. So
 * a part altered on the way is refused by S3 at once, and anything else is found by that check. It is what the
 * AWS SDKs do over HTTPS by default (a CRC-32 and no payload hash). The upload is created with the CRC-32 algorithm
 * and completed with every part's checksum, so S3 keeps a checksum of the whole object too. A body that fits in
 * one part (a PutObject) is still signed with its sha256.
 *
 * The SDK retries a failed part on its own. This module never aborts: on failure it waits for the parts in
 * flight to settle, then rejects, and the caller aborts the upload whose id {@link UploadState} holds.
 */
import type { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import type * as SdkModule from "@aws-sdk/client-s3";
import type { CompletedPart, S3Client, ServerSideEncryption, UploadPartCommand } from "@aws-sdk/client-s3";
import { TargetError } from "../core/errors.ts";

/** What to store and where. */
export interface UploadRequest {
  sdk: typeof SdkModule;
  client: S3Client;
  Bucket: string;
  Key: string;
  /** Part size in bytes (S3 needs at least 5 MiB for every part but the last). */
  partSize: number;
  /** Parts uploaded at once (at least 1). */
  queueSize: number;
  /** Attributes of the new object, sent on PutObject or CreateMultipartUpload. */
  object: { ContentType?: string; ServerSideEncryption?: ServerSideEncryption; SSEKMSKeyId?: string };
  /** Conditions checked when the object appears, on PutObject or CompleteMultipartUpload. */
  conditions: { IfNoneMatch?: string; IfMatch?: string };
  /** Cancels the requests in flight. */
  signal?: AbortSignal;
  /** Called with the count of body bytes read so far, after each chunk. */
  onBytes?: (bytes: number) => void;
}

/** Filled in while the upload runs; read it after a failure to abort the multipart upload. */
export interface UploadState {
  /** The multipart upload's id, once CreateMultipartUpload has answered. */
  uploadId?: string;
  /** Whether a multipart upload was begun (even if its answer was lost). */
  multipart: boolean;
  /** Body bytes read. */
  bytes: number;
  /** The error the body itself failed with, if it did. */
  bodyError?: unknown;
}

/** S3's limit on the parts of one object. */
const MAX_PARTS = 10_000;

/**
 * Stores `body` at `request.Key`. A failed part destroys `body`, so that a source waiting for data does not hold
 * the failure back.
 * @returns the new object's ETag.
 * @throws the body's own error (also kept in `state.bodyError`), the SDK's error of a failed request, or a
 *   TargetError when the body needs more than 10,000 parts; always after every part in flight has settled.
 */
export async function uploadObject(body: Readable, request: UploadRequest, state: UploadState): Promise<string> {
  const { sdk, client, Bucket, Key, partSize, signal } = request;
  const sendOptions = signal === undefined ? {} : { abortSignal: signal };
  const buffers = new PartBuffers(partSize, Math.max(1, request.queueSize) + 1);
  const parts: CompletedPart[] = [];
  const inFlight = new Set<Promise<void>>();

  const startPart = async (buffer: Buffer, length: number): Promise<void> => {
    buffers.throwIfFailed();
    if (state.uploadId === undefined) {
      state.multipart = true;
      const created = await client.send(new sdk.CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: "CRC32", ...request.object }), sendOptions);
      state.uploadId = created.UploadId;
    }
    const PartNumber = parts.length + 1;
    if (PartNumber > MAX_PARTS) {
      throw new TargetError(`${Key} needs more than ${MAX_PARTS} parts of ${partSize} bytes.`, { hint: "Raise the S3 part size (s3.partSizeMib)." });
    }
    const Body = buffer.subarray(0, length);
    const ChecksumCRC32 = crc32Base64(Body);
    parts.push({ PartNumber });
    const command = new sdk.UploadPartCommand({ Bucket, Key, UploadId: state.uploadId, PartNumber, Body, ContentLength: length, ChecksumCRC32 });
    skipPayloadHash(command);
    const sent = client
      .send(command, sendOptions)
      .then((out) => {
        parts[PartNumber - 1] = { PartNumber, ETag: out.ETag, ChecksumCRC32 };
        buffers.give(buffer);
      }, (error: unknown) => {
        buffers.fail(error);
        body.destroy();
      })
      .finally(() => inFlight.delete(sent));
    inFlight.add(sent);
  };

  let buffer = await buffers.take();
  let filled = 0;
  try {
    const chunks: AsyncIterator<Buffer | string> = body[Symbol.asyncIterator]();
    for (;;) {
      const next = await chunks.next().catch((err: unknown) => {
        buffers.throwIfFailed();
        state.bodyError = err;
        throw err;
      });
      if (next.done === true) break;
      const chunk = typeof next.value === "string" ? Buffer.from(next.value) : next.value;
      state.bytes += chunk.length;
      request.onBytes?.(state.bytes);
      let offset = 0;
      while (offset < chunk.length) {
        if (filled === partSize) {
          await startPart(buffer, filled);
          buffer = await buffers.take();
          filled = 0;
        }
        const copied = chunk.copy(buffer, filled, offset);
        offset += copied;
        filled += copied;
      }
      buffers.throwIfFailed();
    }
    buffers.throwIfFailed();
    if (!state.multipart) {
      const out = await client.send(new sdk.PutObjectCommand({ Bucket, Key, Body: buffer.subarray(0, filled), ContentLength: filled, ...request.object, ...request.conditions }), sendOptions);
      return out.ETag ?? "";
    }
    if (filled > 0) await startPart(buffer, filled);
    await Promise.all(inFlight);
    buffers.throwIfFailed();
    const done = await client.send(new sdk.CompleteMultipartUploadCommand({ Bucket, Key, UploadId: state.uploadId, MultipartUpload: { Parts: parts }, ...request.conditions }), sendOptions);
    return done.ETag ?? "";
  } finally {
    await Promise.all(inFlight);
  }
}

// --- internal ---

/** The CRC-32 of `bytes` as S3 spells it: the four big-endian bytes in base64. */
function crc32Base64(bytes: Uint8Array): string {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(crc32(bytes) >>> 0);
  return out.toString("base64");
}

/** Tells SigV4 not to hash the part's body (S3 checks its CRC-32 instead, see the module's note). */
function skipPayloadHash(command: UploadPartCommand): void {
  command.middlewareStack.add((next) => (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers !== undefined) request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
    return next(args);
  }, { step: "build", name: "stackvaultUnsignedPartPayload" });
}

/**
 * Up to `max` buffers of `size` bytes, allocated on first need and handed out again once given back; it also
 * holds the upload's first failed part, which ends every later and pending {@link take}.
 */
class PartBuffers {
  readonly #size: number;
  readonly #max: number;
  readonly #free: Buffer[] = [];
  #made = 0;
  #waiter: { resolve: (buffer: Buffer) => void; reject: (error: unknown) => void } | undefined;
  #failure: { error: unknown } | undefined;

  constructor(size: number, max: number) {
    this.#size = size;
    this.#max = max;
  }

  /** A free buffer; waits for one to be given back when all `max` are in use (one caller waits at a time). */
  take(): Promise<Buffer> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure.error);
    const free = this.#free.pop();
    if (free !== undefined) return Promise.resolve(free);
    if (this.#made < this.#max) {
      this.#made += 1;
      // Outside node's shared pool: each buffer is its own allocation, kept for the whole upload.
      return Promise.resolve(Buffer.allocUnsafeSlow(this.#size));
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Returns `buffer` for reuse. */
  give(buffer: Buffer): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) waiter.resolve(buffer);
    else this.#free.push(buffer);
  }

  /** Throws the first failed part's error, if a part failed. */
  throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** Records a failed part: rejects the caller waiting in {@link take}, if any, and every later call. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }
}
