/**
 * The S3 target (`s3://bucket[/prefix]`): AWS S3 or any S3-compatible server (custom endpoint, path style).
 *
 * Writes stream through `s3-upload.ts`: bodies up to one part go up with a single PutObject, larger ones as a
 * multipart upload completed at the end, so the object appears atomically. Memory bound per put:
 * `(queueSize + 1) × partSize` of part buffers (default 5 × 8 MiB = 40 MiB), allocated once and reused: one
 * part being filled and `queueSize` parts in flight. The largest object is 10,000 × `partSize` (default
 * 78 GiB): raise `partSize` for bigger dumps.
 *
 * On failure or abort, the requests in flight are cancelled or left to settle, then the multipart upload is
 * aborted before `put` rejects, so no parts are left behind.
 *
 * Conditional puts use S3's `If-None-Match: *` / `If-Match: etag`, sent on PutObject or, for multipart, on
 * CompleteMultipartUpload. Retries: the SDK's standard strategy (exponential backoff with jitter) up to
 * `maxAttempts`; a request that moves no byte for `requestTimeoutMs` (a stall) fails with a timeout and is
 * retried the same way, so no call hangs. Credentials: the SDK's default chain unless given. The SDK is loaded on first use.
 */
import type { Readable } from "node:stream";
import type { S3Client, ServerSideEncryption } from "@aws-sdk/client-s3";
import { NotFoundError, PreconditionFailedError, TargetError, throwIfAborted } from "../core/errors.ts";
import type { GetOptions, ListOptions, ListPage, ObjectInfo, PutOptions, PutResult, Target } from "./target.ts";
import { assertRange, bodyStream, cancelled, guardStream, onAbort } from "./body.ts";
import { assertListPrefix, assertObjectKey } from "./object-key.ts";
import { s3Error, type S3ErrorContext } from "./s3-errors.ts";
import { connectS3, requestTimeoutMs, type S3Connection, type S3TargetOptions } from "./s3-client.ts";
import { uploadObject, type UploadState } from "./s3-upload.ts";

/** Creates an S3 target; loads the AWS SDK. @throws ConfigError for an invalid bucket name, prefix or region. */
export async function createS3Target(options: S3TargetOptions): Promise<Target> {
  return new S3Target(await connectS3(options));
}

export type { S3TargetOptions } from "./s3-client.ts";
export { assertBucketName } from "./s3-errors.ts";

// --- internal ---

const MiB = 1024 * 1024;

class S3Target implements Target {
  readonly kind = "s3";
  readonly location: string;
  readonly #sdk: S3Connection["sdk"];
  readonly #client: S3Client;
  readonly #o: S3Connection["options"];
  readonly #root: string;
  readonly #endpoint: string;

  constructor(init: S3Connection) {
    this.#sdk = init.sdk;
    this.#client = init.client;
    this.#o = init.options;
    this.#root = init.prefix === "" ? "" : `${init.prefix}/`;
    this.location = `s3://${init.options.bucket}${init.prefix === "" ? "" : `/${init.prefix}`}`;
    this.#endpoint = init.options.endpoint ?? `https://s3.${init.options.region}.amazonaws.com`;
  }

  async put(key: string, body: Readable | Uint8Array | string, options: PutOptions = {}): Promise<PutResult> {
    const Key = this.#key(key);
    const { signal } = options;
    throwIfAborted(signal);
    const source = bodyStream(body);
    const off = onAbort(signal, () => source.destroy(cancelled(signal, `writing ${key} to ${this.location}`)));
    const state: UploadState = { multipart: false, bytes: 0 };
    const startedAt = Date.now();
    try {
      const etag = await uploadObject(source, {
        sdk: this.#sdk,
        client: this.#client,
        Bucket: this.#o.bucket,
        Key,
        partSize: Math.max(5 * MiB, this.#o.partSize ?? 8 * MiB),
        queueSize: Math.max(1, this.#o.queueSize ?? 4),
        object: {
          ...(options.contentType !== undefined ? { ContentType: options.contentType } : {}),
          ...(this.#o.sse !== undefined ? { ServerSideEncryption: this.#o.sse as ServerSideEncryption } : {}),
          ...(this.#o.kmsKeyId !== undefined ? { SSEKMSKeyId: this.#o.kmsKeyId } : {}),
        },
        conditions: {
          ...(options.ifAbsent ? { IfNoneMatch: "*" } : {}),
          ...(options.ifMatch !== undefined ? { IfMatch: options.ifMatch } : {}),
        },
        ...(signal !== undefined ? { signal } : {}),
        ...(options.onProgress !== undefined ? { onBytes: options.onProgress } : {}),
      }, state);
      if (state.multipart) await this.#abortOrphans(Key, startedAt);
      return { etag, size: state.bytes };
    } catch (err) {
      source.destroy();
      if (state.multipart) await this.#abortOrphans(Key, startedAt);
      const leftover = await this.#abortUpload(Key, state.uploadId).then(() => undefined, (e: unknown) => e);
      const failure = this.#putFailure(err, state.bodyError !== undefined && err === state.bodyError, key, options);
      if (leftover === undefined) throw failure;
      throw new TargetError(`${failure.message} The multipart upload ${state.uploadId} could not be aborted either.`, {
        cause: new AggregateError([failure, leftover]),
        hint: "Its parts cost storage until aborted: a lifecycle rule AbortIncompleteMultipartUpload on the bucket removes them.",
      });
    } finally {
      off();
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Readable> {
    const Key = this.#key(key);
    const { signal, range } = options;
    assertRange(range, key);
    const Range = range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ""}`;
    const out = await this.#send((o) => this.#client.send(new this.#sdk.GetObjectCommand({ Bucket: this.#o.bucket, Key, Range }), o), `reading ${key}`, signal);
    if (out.Body === undefined) throw new NotFoundError(`No object ${key} on ${this.location}.`);
    return guardStream(out.Body as Readable, signal, `reading ${key} from ${this.location}`, (err) => s3Error(err, this.#ctx(`reading ${key}`, signal)));
  }

  async head(key: string, options: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    const Key = this.#key(key);
    try {
      const out = await this.#send((o) => this.#client.send(new this.#sdk.HeadObjectCommand({ Bucket: this.#o.bucket, Key }), o), `reading ${key}`, options.signal);
      return { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0), etag: out.ETag ?? "" };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListPage> {
    assertListPrefix(prefix, this.location);
    const command = new this.#sdk.ListObjectsV2Command({
      Bucket: this.#o.bucket,
      Prefix: `${this.#root}${prefix}`,
      MaxKeys: Math.min(1000, Math.max(1, options.pageSize ?? 1000)),
      ...(options.token !== undefined ? { ContinuationToken: options.token } : {}),
    });
    const out = await this.#send((o) => this.#client.send(command, o), `listing ${prefix || "/"}`, options.signal);
    const objects = (out.Contents ?? []).map((o) => ({
      key: (o.Key ?? "").slice(this.#root.length),
      size: o.Size ?? 0,
      lastModified: o.LastModified ?? new Date(0),
      etag: o.ETag ?? "",
    }));
    return out.IsTruncated && out.NextContinuationToken ? { objects, next: out.NextContinuationToken } : { objects };
  }

  async delete(key: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const Key = this.#key(key);
    try {
      await this.#send((o) => this.#client.send(new this.#sdk.DeleteObjectCommand({ Bucket: this.#o.bucket, Key }), o), `deleting ${key}`, options.signal);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }

  #key(key: string): string {
    return `${this.#root}${assertObjectKey(key, this.location)}`;
  }

  #ctx(action: string, signal: AbortSignal | undefined): S3ErrorContext {
    return { action, location: this.location, endpoint: this.#endpoint, bucket: this.#o.bucket, signal, requestTimeoutMs: requestTimeoutMs(this.#o) };
  }

  /** Runs one SDK call with the abort signal and maps its errors. */
  async #send<T>(call: (opts: { abortSignal?: AbortSignal }) => Promise<T>, action: string, signal: AbortSignal | undefined): Promise<T> {
    throwIfAborted(signal);
    try {
      return await call(signal === undefined ? {} : { abortSignal: signal });
    } catch (err) {
      throw s3Error(err, this.#ctx(action, signal));
    }
  }

  /** The error a failed put rejects with: cancellation, the body's own error, or the mapped S3 error. */
  #putFailure(err: unknown, fromSource: boolean, key: string, options: PutOptions): Error {
    const { signal } = options;
    if (signal?.aborted) return cancelled(signal, `writing ${key} to ${this.location}`);
    if (fromSource) return err as Error;
    const mapped = s3Error(err, this.#ctx(`writing ${key}`, signal));
    // S3 answers If-Match on a missing key with 404; for the contract the condition simply does not hold.
    if (mapped instanceof NotFoundError && options.ifMatch !== undefined) {
      return new PreconditionFailedError(`${key} on ${this.location} changed or disappeared (etag mismatch).`, { cause: err });
    }
    return mapped;
  }

  /**
   * Aborts the multipart uploads of `Key` begun since `since` and still open. A CreateMultipartUpload whose
   * answer was lost (a reset, a cut-off response) and then retried leaves an upload its caller never heard of;
   * backup keys are unique and written under the stack lock, so such an upload can only be this put's own.
   * Best effort: a failure here leaves the parts to the bucket's AbortIncompleteMultipartUpload lifecycle rule.
   */
  async #abortOrphans(Key: string, since: number): Promise<void> {
    try {
      const out = await this.#client.send(new this.#sdk.ListMultipartUploadsCommand({ Bucket: this.#o.bucket, Prefix: Key }));
      for (const u of out.Uploads ?? []) {
        if (u.Key !== Key || u.UploadId === undefined || (u.Initiated !== undefined && u.Initiated.getTime() < since - 60_000)) continue;
        await this.#abortUpload(Key, u.UploadId);
      }
    } catch {
      // Best effort (see above).
    }
  }

  /** Aborts the multipart upload `uploadId` unless it is gone already (ignored then). */
  async #abortUpload(Key: string, UploadId: string | undefined): Promise<void> {
    if (UploadId === undefined) return;
    try {
      await this.#client.send(new this.#sdk.AbortMultipartUploadCommand({ Bucket: this.#o.bucket, Key, UploadId }));
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== "NoSuchUpload" && e.$metadata?.httpStatusCode !== 404) throw s3Error(err, this.#ctx(`aborting the upload of ${Key}`, undefined));
    }
  }
}
