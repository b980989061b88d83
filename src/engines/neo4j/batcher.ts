/**
 * Groups the rows of a `stackvault-cypher/2` script into batches (see `script-format.ts`) and writes each batch
 * straight into a buffer of its own as its rows come, so that a complete batch is handed on as the bytes of
 * the script without being built as one long string first.
 */
import { batchEnd, batchStart, DEFAULT_LIMITS, ROW_SEPARATOR, SERVER_LIMITS, type BatchLimits } from "./script-format.ts";

/**
 * Groups rows by statement tail (and by whether they need the server) and closes a batch at its limits: a batch
 * is a `:param {rows: [...]}` line followed by `UNWIND $rows AS row <tail>;`, or, for rows that need the
 * server, `UNWIND [...] AS row <tail>;`.
 *
 * Memory: the buffers of the open batches, each about its `chars` limit at most (twice that while it grows),
 * and at most {@link MAX_OPEN_BYTES} over all of them (the largest batch is closed first beyond that).
 */
export class Batcher {
  private readonly groups = new Map<string, Batch>();
  /** Bytes of the last batch of each key: the next one starts with a buffer of about that size. */
  private readonly sizes = new Map<string, number>();
  private total = 0;
  private readonly limits: BatchLimits;
  private readonly serverLimits: BatchLimits;

  constructor(limits: BatchLimits = DEFAULT_LIMITS, serverLimits: BatchLimits = SERVER_LIMITS) {
    this.limits = limits;
    this.serverLimits = { rows: Math.min(limits.rows, serverLimits.rows), chars: Math.min(limits.chars, serverLimits.chars) };
  }

  /**
   * Adds a row (written by `nodeRow` or `relationshipRow`) to the batch of `tail`; returns the batches (the
   * `:param` line and the statement, with `;\n`, as UTF-8) that became complete: none, usually.
   */
  add(tail: string, row: string, needsServer = false): readonly Buffer[] {
    const key = needsServer ? `\u0000${tail}` : tail;
    let batch = this.groups.get(key);
    if (!batch) {
      batch = new Batch(tail, needsServer, needsServer ? this.serverLimits : this.limits, this.sizes.get(key));
      this.groups.set(key, batch);
      this.total += batch.capacity;
    }
    const before = batch.capacity;
    batch.add(row);
    this.total += batch.capacity - before;
    if (!batch.full && this.total <= MAX_OPEN_BYTES) return NONE;
    const out = batch.full ? [this.close(key)] : [];
    while (this.total > MAX_OPEN_BYTES) out.push(this.close(this.largest()));
    return out;
  }

  /** Closes every open batch. */
  drain(): Buffer[] {
    return [...this.groups.keys()].map((key) => this.close(key));
  }

  private close(key: string): Buffer {
    const batch = this.groups.get(key);
    if (!batch) return Buffer.alloc(0);
    this.groups.delete(key);
    this.total -= batch.capacity;
    const bytes = batch.end();
    if (this.sizes.has(key) || this.sizes.size < 10_000) this.sizes.set(key, bytes.length);
    return bytes;
  }

  private largest(): string {
    let best = "";
    let size = -1;
    for (const [key, batch] of this.groups) {
      if (batch.capacity > size) {
        best = key;
        size = batch.capacity;
      }
    }
    return best;
  }
}

/** Bytes of buffers that the open batches may hold in all. */
export const MAX_OPEN_BYTES = 64 * 1024 * 1024;

// --- internal ---

const NONE: readonly Buffer[] = [];
/**
 * First buffer of a batch whose key had no batch before (it doubles as needed: many open batches stay small);
 * otherwise the previous batch's size and an eighth more, up to {@link MAX_START_BYTES}, so that a batch
 * usually takes one buffer.
 */
const INITIAL_BYTES = 16 * 1024;
const MAX_START_BYTES = 1024 * 1024;

/** One open batch: its text so far, as UTF-8, in a buffer that grows. */
class Batch {
  private buf: Buffer;
  private used = 0;
  private rows = 0;
  private chars = 0;
  private readonly tail: string;
  private readonly needsServer: boolean;
  private readonly limits: BatchLimits;

  constructor(tail: string, needsServer: boolean, limits: BatchLimits, lastBytes: number | undefined) {
    this.buf = Buffer.allocUnsafe(lastBytes === undefined ? INITIAL_BYTES : Math.min(MAX_START_BYTES, Math.ceil(lastBytes * 1.125) + 64));
    this.tail = tail;
    this.needsServer = needsServer;
    this.limits = limits;
    this.write(batchStart(needsServer));
  }

  get capacity(): number {
    return this.buf.length;
  }

  get full(): boolean {
    return this.rows >= this.limits.rows || this.chars >= this.limits.chars;
  }

  add(row: string): void {
    if (this.rows > 0) this.write(ROW_SEPARATOR);
    this.write(row);
    this.rows++;
    this.chars += row.length + ROW_SEPARATOR.length;
  }

  /** The whole batch; the batch is not used afterwards. */
  end(): Buffer {
    this.write(batchEnd(this.needsServer, this.tail));
    return this.buf.subarray(0, this.used);
  }

  private write(text: string): void {
    const room = this.buf.length - this.used;
    // UTF-8 takes at least one byte per UTF-16 unit: a longer text cannot fit. A write that did not fit stops
    // at a character that would not, so fewer than 4 bytes are left after it.
    if (text.length <= room) {
      const written = this.buf.write(text, this.used);
      if (room - written >= 4 || written === Buffer.byteLength(text)) {
        this.used += written;
        return;
      }
    }
    const needed = this.used + Buffer.byteLength(text);
    const grown = Buffer.allocUnsafe(Math.max(needed, 2 * this.buf.length));
    this.buf.copy(grown, 0, 0, this.used);
    this.buf = grown;
    this.used += this.buf.write(text, this.used);
  }
}
