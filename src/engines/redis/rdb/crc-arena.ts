/**
 * Write buffers for `RESTORE` commands whose DUMP payloads get their CRC-64 in place, in WebAssembly: the
 * buffers are carved out of one WebAssembly memory, so the checksum reads the payload where it was just
 * written, without a copy, and without waiting for V8 to optimise JavaScript. On the live restore of 30,000
 * keys the JavaScript CRC-64 ({@link Crc64}) was the largest single cost of the client (about 15 % of its CPU,
 * mostly before V8 optimised it); the WebAssembly loop is ready at once and about 2.5 times faster cold.
 */
import { Crc64, writeSliceTables } from "./crc64.ts";
import { DUMP_CRC64_WASM } from "./dump-crc64-wasm.ts";

/** A fixed set of equal buffers inside one WebAssembly memory, and the in-place DUMP checksum. */
export class CrcArena {
  /** Bytes of each buffer. */
  readonly bufferBytes: number;
  private readonly memory: ArrayBuffer;
  private readonly free: Buffer[] = [];
  private readonly append: (at: number, length: number) => void;

  /** `buffers` buffers of `bufferBytes` each (the memory is committed by the OS only as it is written). */
  constructor(buffers: number, bufferBytes: number) {
    this.bufferBytes = bufferBytes;
    const pages = Math.ceil((TABLES_BYTES + buffers * bufferBytes) / PAGE);
    const memory = new wasm.Memory({ initial: pages, maximum: pages });
    const instance = new wasm.Instance(compiled(), { env: { memory } });
    this.append = instance.exports["append"] as (at: number, length: number) => void;
    this.memory = memory.buffer;
    writeSliceTables(this.memory, 0);
    // Last in, first out: a load that needs few buffers keeps touching the same pages.
    for (let i = buffers - 1; i >= 0; i--) this.free.push(Buffer.from(this.memory, TABLES_BYTES + i * bufferBytes, bufferBytes));
  }

  /** A free buffer of the arena, or undefined when every one is taken. */
  take(): Buffer | undefined {
    return this.free.pop();
  }

  /** Gives back a buffer {@link CrcArena.take} gave; any other buffer is ignored (false). */
  give(buffer: Buffer): boolean {
    if (!this.owns(buffer) || buffer.length !== this.bufferBytes) return false;
    this.free.push(buffer);
    return true;
  }

  /**
   * Writes the CRC-64 of `buffer[start, end)` as the 8 little-endian bytes Redis writes at `buffer[end]`: in
   * place for a buffer of the arena, through {@link Crc64} for any other. `buffer` must hold `end + 8` bytes.
   */
  appendCrc(buffer: Buffer, start: number, end: number): void {
    if (end + 8 > buffer.length) throw new RangeError(`no room for the checksum after byte ${end} of ${buffer.length}`);
    if (this.owns(buffer)) this.append(buffer.byteOffset + start, end - start);
    else new Crc64().update(buffer, start, end).writeTo(buffer, end);
  }

  private owns(buffer: Buffer): boolean {
    return buffer.buffer === this.memory;
  }
}

// --- internal ---

const PAGE = 64 * 1024;
/** The slice-by-8 tables at the start of the memory (8 × 256 × 8 bytes), rounded to a page. */
const TABLES_BYTES = PAGE;

/** The part of the WebAssembly JavaScript API used here (TypeScript declares it only in its DOM library). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
}
type WasmModule = object;
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let module: WasmModule | undefined;

/** The module, compiled once per process (synchronously: it is 300 bytes). */
function compiled(): WasmModule {
  return (module ??= new wasm.Module(Buffer.from(DUMP_CRC64_WASM, "base64")));
}
