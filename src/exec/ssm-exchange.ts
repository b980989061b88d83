/**
 * The operator's side of an SSM run's data channel (see `ssm-script.ts`): standard input goes up as numbered
 * chunk objects, standard output comes back as numbered chunk objects, all under one prefix per run that is
 * deleted when the run ends. Objects are written with server-side encryption.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Readable } from "node:stream";
import { ExecError } from "../core/errors.ts";
import { chunkName } from "./ssm-script.ts";

/** Where SSM runs exchange their standard input and output. */
export interface SsmExchange {
  s3: S3Client;
  bucket: string;
  /** Key prefix (no leading or trailing `/`); each run uses `<prefix>/<run id>/`. */
  prefix: string;
  /** Server-side encryption of the chunks. @default "AES256" */
  sse?: "AES256" | "aws:kms" | "none";
  kmsKeyId?: string;
}

/**
 * Folder under the target's prefix where SSM runs exchange their input and output (outside `stacks/`); `bucket
 * init` expires what a crashed run left there.
 */
export const SSM_EXCHANGE_FOLDER = "exec";

/** Bytes per standard input chunk at most. */
export const INPUT_CHUNK_BYTES = 4 * 1024 * 1024;
/** A partial input chunk is sent after this long without new bytes. */
export const INPUT_IDLE_MS = 200;

/** The exchange of one run. */
export class RunExchange {
  readonly url: string;
  private readonly exchange: SsmExchange;
  private readonly base: string;
  private nextOut = 0;

  constructor(exchange: SsmExchange, runId: string) {
    this.exchange = exchange;
    this.base = exchange.prefix === "" ? runId : `${exchange.prefix}/${runId}`;
    this.url = `s3://${exchange.bucket}/${this.base}`;
  }

  /**
   * Sends `preamble` then `stdin` as input chunks (at most {@link INPUT_CHUNK_BYTES}, a partial one after
   * {@link INPUT_IDLE_MS} without new bytes, so interactive messages are not held back), then `in/end`.
   * Reads `stdin` only as fast as chunks are stored. Stops early when `stop` aborts.
   */
  async sendInput(preamble: Buffer, stdin: Readable | Buffer | string | undefined, stop: AbortSignal): Promise<void> {
    let count = 0;
    const put = async (body: Buffer): Promise<void> => {
      await this.put(`in/${chunkName(count)}`, body);
      count++;
    };
    await put(preamble);
    if (typeof stdin === "string" || Buffer.isBuffer(stdin)) {
      const bytes = Buffer.from(stdin);
      for (let at = 0; at < bytes.length; at += INPUT_CHUNK_BYTES) await put(bytes.subarray(at, at + INPUT_CHUNK_BYTES));
    } else if (stdin) {
      const iterator = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
      let pending: Buffer[] = [];
      let size = 0;
      const flush = async (): Promise<void> => {
        if (size === 0) return;
        const body = Buffer.concat(pending);
        pending = [];
        size = 0;
        await put(body);
      };
      const idle = Symbol("idle");
      const stopped = new Promise<typeof idle>((resolve) => stop.addEventListener("abort", () => resolve(idle), { once: true }));
      let next = iterator.next();
      for (;;) {
        const waited = size === 0 ? await Promise.race([next, stopped]) : await Promise.race([next, stopped, delay(INPUT_IDLE_MS, idle)]);
        if (stop.aborted) return;
        if (waited === idle) {
          await flush();
          continue;
        }
        if (waited.done) break;
        const chunk = Buffer.from(waited.value);
        pending.push(chunk);
        size += chunk.length;
        next = iterator.next();
        if (size >= INPUT_CHUNK_BYTES) await flush();
      }
      await flush();
    }
    await this.put("in/end", Buffer.from(String(count)));
  }

  /** Reads the output chunks stored since the last call, in order; `{ ended }` once `out/end` is there and all are read. */
  async readOutput(sink: (chunk: Buffer) => Promise<void>): Promise<{ ended: boolean }> {
    for (;;) {
      const chunk = await this.get(`out/${chunkName(this.nextOut)}`);
      if (chunk === undefined) break;
      this.nextOut++;
      await sink(chunk);
    }
    const end = await this.get("out/end");
    if (end === undefined) return { ended: false };
    const total = Number(end.toString("utf8"));
    if (!Number.isInteger(total) || total < this.nextOut) throw new ExecError(`The output record of ${this.url} is damaged (out/end says ${JSON.stringify(end.toString("utf8").slice(0, 20))}).`);
    // out/end is written after the last chunk: a chunk still missing here was deleted by someone else.
    if (total > this.nextOut) throw new ExecError(`Output chunk ${this.nextOut} of ${this.url} is missing.`);
    return { ended: true };
  }

  /** Deletes every object of the run (best effort: a failure leaves objects that the bucket's lifecycle rule expires). */
  async remove(): Promise<void> {
    const { ListObjectsV2Command, DeleteObjectsCommand } = await import("@aws-sdk/client-s3");
    let token: string | undefined;
    do {
      const page = await this.exchange.s3.send(new ListObjectsV2Command({ Bucket: this.exchange.bucket, Prefix: `${this.base}/`, ...(token ? { ContinuationToken: token } : {}) }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length > 0) await this.exchange.s3.send(new DeleteObjectsCommand({ Bucket: this.exchange.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.NextContinuationToken;
    } while (token);
  }

  // --- internal ---

  private async put(name: string, body: Buffer): Promise<void> {
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    const { sse = "AES256", kmsKeyId } = this.exchange;
    await this.exchange.s3.send(
      new PutObjectCommand({
        Bucket: this.exchange.bucket,
        Key: `${this.base}/${name}`,
        Body: body,
        ...(sse === "none" ? {} : { ServerSideEncryption: sse }),
        ...(sse === "aws:kms" && kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
      }),
    );
  }

  private async get(name: string): Promise<Buffer | undefined> {
    const { GetObjectCommand, NoSuchKey } = await import("@aws-sdk/client-s3");
    try {
      const response = await this.exchange.s3.send(new GetObjectCommand({ Bucket: this.exchange.bucket, Key: `${this.base}/${name}` }));
      return Buffer.from((await response.Body?.transformToByteArray()) ?? []);
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === "NoSuchKey" || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}
