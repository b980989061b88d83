/** Test helpers for the pipeline: deterministic dump-like data, collecting sinks. */
import { Readable } from "node:stream";
import { createHash, randomFillSync } from "node:crypto";

/** A small deterministic PRNG (mulberry32), so generated data is the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ["alpha", "bid", "contract", "delivery", "energy", "RFP", "question", "answer", "Zürich", "naïve", "🚀"];

/** One Cypher-like line with random parts: compressible but not trivially so. */
export function cypherLine(rand: () => number, i: number): string {
  const words = Array.from({ length: 4 + Math.floor(rand() * 8) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" ");
  return `CREATE (:Document {id: ${i}, title: "${words}", score: ${rand().toFixed(6)}});\n`;
}

/** `size` bytes of deterministic dump-like data, in memory (for small tests). */
export function dumpLike(size: number, seed = 1): Buffer {
  const rand = prng(seed);
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = 0; total < size; i++) {
    const b = Buffer.from(cypherLine(rand, i));
    parts.push(b);
    total += b.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

/**
 * A source producing `size` bytes on demand, in 64 KiB chunks (a repeated line, or random bytes when `random`, which
 * do not compress). `produced()` says how many bytes were handed out so far.
 */
export function lazySource(size: number, random = false): Readable & { produced(): number } {
  let produced = 0;
  const block = Buffer.alloc(64 * 1024);
  const stream = new Readable({
    highWaterMark: 64 * 1024,
    read() {
      if (produced >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(block.length, size - produced);
      const chunk = Buffer.alloc(n);
      if (random) randomFillSync(chunk);
      else chunk.fill(`line ${produced} of a dump\n`);
      produced += n;
      this.push(chunk);
    },
  });
  return Object.assign(stream, { produced: () => produced });
}

/** Reads a stream to the end into one buffer. */
export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sha256(buf: Uint8Array): string {
  return createHash("sha256").update(buf).digest("hex");
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
