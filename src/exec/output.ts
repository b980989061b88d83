/** Bounded collection of a program's output, keeping the tail (where the error usually is). */
import { OUTPUT_LIMIT } from "./executor.ts";

export class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly limit: number;

  constructor(limit = OUTPUT_LIMIT) {
    this.limit = limit;
  }

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()?.length ?? 0;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString("utf8");
  }
}

/** The last `lines` lines of a text, for error messages. */
export function lastLines(text: string, lines = 15): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
