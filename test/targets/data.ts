/**
 * Deterministic test data for target tests: AES-CTR keystream bytes (fast, incompressible, every chunk
 * different), with optional failure or pause part-way, and a sha256 of any stream.
 */
import { createCipheriv, createHash } from "node:crypto";
import { Readable } from "node:stream";

export interface GeneratedOptions {
  /** Different seeds give different bytes. */
  seed?: number;
  /** Bytes per chunk pushed. @default 65536 */
  chunk?: number;
  /** Fail the stream with `failWith` once this many bytes have been produced. */
  failAfter?: number;
  failWith?: Error;
  /** Called once this many bytes have been produced (then `gate` is awaited, if any). */
  pauseAfter?: number;
  gate?: Promise<void>;
  onPause?: () => void;
}

/** A stream of `size` pseudo-random bytes whose length is not announced anywhere (no `length`, no `size`). */
export function generated(size: number, options: GeneratedOptions = {}): Readable {
  const chunk = options.chunk ?? 65536;
  const key = Buffer.alloc(16);
  key.writeUInt32BE(options.seed ?? 1, 0);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(chunk);
  let produced = 0;
  let paused = false;
  return Readable.from(
    (async function* () {
      while (produced < size) {
        if (options.failAfter !== undefined && produced >= options.failAfter) {
          throw options.failWith ?? new Error("source failed on purpose");
        }
        if (!paused && options.pauseAfter !== undefined && produced >= options.pauseAfter) {
          paused = true;
          options.onPause?.();
          await options.gate;
        }
        const n = Math.min(chunk, size - produced);
        produced += n;
        yield cipher.update(zeros.subarray(0, n));
      }
    })(),
    { objectMode: false },
  );
}

/** The bytes `generated(size, options)` produces, in memory (small sizes only). */
export async function generatedBytes(size: number, options: GeneratedOptions = {}): Promise<Buffer> {
  return readAll(generated(size, { seed: options.seed, chunk: options.chunk }));
}

/** sha256 hex and byte count of a stream. */
export async function hashStream(stream: AsyncIterable<unknown>): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    hash.update(b);
    size += b.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** Reads a stream into one buffer. */
export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A promise and its resolver. */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
