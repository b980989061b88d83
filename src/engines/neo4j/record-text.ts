/**
 * The export's rows written as Cypher text straight from the Bolt bytes of each record, without the driver
 * first building its values.
 *
 * Why: on the reference graph the export's process is CPU-bound, and about a third of its CPU (CPU profile of
 * `bench/neo4j/child.ts export-cypher` at 1×) went to the driver turning every record into JavaScript values (a
 * record object, a map object per node, a string per property key, a bigint per integer) that the literal
 * writer then walked once to print them. Reading the packstream bytes and printing as it reads does one pass:
 * the same export took 0.47 instead of 0.58 CPU seconds, and wrote the same script byte for byte.
 *
 * What is read here: null, booleans, integers, floats, strings, byte arrays, lists and maps. Structures (dates,
 * times, durations, points) are handed to the driver's own unpacker at their position and its value to
 * {@link writeValue}, so they come out exactly as before. The text of every value is the literal writer's
 * (`literal-writer.ts`), with the same {@link WriteNotes}. A map's entries keep the order the server sent them
 * in (a JavaScript object would put keys that look like integers first): the same map either way.
 *
 * How: {@link transcodeRecords} replaces, on the one connection of the export's transaction and while the export
 * reads, the protocol's `unpack` of a message. A RECORD message of the expected shape becomes a record whose
 * first field is a {@link TextRow}; every other message (SUCCESS, FAILURE, a record of another shape) goes to the
 * driver's own `unpack`. The protocol object is the driver's internal: when a driver upgrade changes it,
 * {@link transcodeRecords} returns undefined, the export reads the driver's values as before, and the test that
 * asserts the text path is active fails, so that the upgrade gets looked at.
 */
import channelBufferModule from "neo4j-driver-bolt-connection/lib/channel/channel-buf.js";
import type { Transaction } from "neo4j-driver";
import { EngineError } from "../../core/errors.ts";
import { isPlainFloatList, writeFloat, writeKey, writeString, writeValue, type WriteNotes } from "./literal-writer.ts";

/** One record of the export as text. */
export interface TextRow {
  /** The row inside a batch: `{i: …, p: {…}}` or `{s: …, e: …, p: {…}}`. */
  text: string;
  /** Whether {@link text} holds what only the server evaluates ({@link WriteNotes}). */
  needsServer: boolean;
  /** Node rows: the labels, as the server listed them. */
  labels?: readonly string[];
  /** Node rows: the labels joined by NUL, a key for the label set. Relationship rows: the type. */
  group: string;
}

/** The columns of the two export queries, in order. */
export type RecordShape = "node" | "relationship";

/** Switches the text path to a query of another shape, or ends it (the connection gets its own `unpack` back). */
export interface RecordTranscoding {
  shape: RecordShape;
  /** The mean size in bytes, as sent, of the records of `shape` read so far; undefined before the first. */
  meanBytes(shape: RecordShape): number | undefined;
  end(): void;
}

/**
 * Makes the RECORD messages that reach `tx`'s connection arrive as {@link TextRow}s (record field 0) while the
 * returned handle is not ended. Call it after `tx` began and before the query runs; `shape` says which query's
 * columns the records hold: `node` (id, labels, properties) or `relationship` (start id, end id, type,
 * properties). Returns undefined (and changes nothing) when the driver's internals are not the ones this was
 * written for (neo4j-driver 6.x).
 */
export async function transcodeRecords(tx: Transaction, shape: RecordShape): Promise<RecordTranscoding | undefined> {
  const holder = (tx as unknown as { _connectionHolder?: { getConnection?: () => Promise<unknown> } })._connectionHolder;
  if (typeof holder?.getConnection !== "function") return undefined;
  const connection = (await holder.getConnection()) as { _delegate?: { _protocol?: unknown }; _protocol?: unknown } | null;
  const protocol = (connection?._delegate?._protocol ?? connection?._protocol) as Partial<DriverProtocol> | undefined;
  if (
    typeof protocol?.unpack !== "function" || typeof protocol._unpacker?.unpack !== "function" ||
    typeof protocol.transformer?.fromStructure !== "function" || Object.hasOwn(protocol, "unpack")
  ) return undefined;
  const own = protocol as DriverProtocol;
  const reader = new RecordReader(own);
  const handle: RecordTranscoding = {
    shape,
    meanBytes: (of) => reader.meanBytes(of),
    end: () => {
      if (own.unpack === transcode) delete (own as Partial<DriverProtocol>).unpack;
    },
  };
  const original = own.unpack;
  const transcode = (message: DriverBuffer): unknown => reader.record(message, handle.shape) ?? original.call(own, message);
  own.unpack = transcode;
  return handle;
}

/** Whether a record field is a {@link TextRow} (the text path was active when it arrived). */
export function isTextRow(value: unknown): value is TextRow {
  return value instanceof Row;
}

// --- internal ---

/** The parts of the driver's protocol object (bolt-connection `BoltProtocol`) used here. */
interface DriverProtocol {
  unpack(message: DriverBuffer): unknown;
  _unpacker: { unpack(buffer: DriverBuffer, hydrate: (structure: unknown) => unknown): unknown };
  transformer: { fromStructure: (structure: unknown) => unknown };
}

/** The driver's message buffer: a `ChannelBuffer` over one Node buffer, or a `CombinedBuffer` of several. */
interface DriverBuffer {
  position: number;
  _buffer?: Buffer;
  _buffers?: DriverBuffer[];
}

class Row implements TextRow {
  readonly text: string;
  readonly needsServer: boolean;
  readonly group: string;
  readonly labels?: readonly string[];

  constructor(text: string, needsServer: boolean, group: string, labels?: readonly string[]) {
    this.text = text;
    this.needsServer = needsServer;
    this.group = group;
    if (labels) this.labels = labels;
  }
}

const RECORD_STRUCT = 0xb1;
const RECORD_SIGNATURE = 0x71;
const FIELDS = { node: 0x93, relationship: 0x94 } as const;
const SMALL_INTS = Array.from({ length: 256 }, (_, m) => String(m < 0x80 ? m : m - 256));

/** Reads one message at a time; keeps the label sets it met. */
class RecordReader {
  private b: Buffer = Buffer.alloc(0);
  private p = 0;
  private view: DriverBuffer = { position: 0 };
  private readonly notes: WriteNotes = { needsServer: false };
  private readonly labelSets = new Map<string, { labels: string[]; group: string }>();
  private readonly floats: number[] = [];
  private readonly read = { node: { records: 0, bytes: 0 }, relationship: { records: 0, bytes: 0 } };

  private readonly protocol: DriverProtocol;

  constructor(protocol: DriverProtocol) {
    this.protocol = protocol;
  }

  /** The record as `{signature, fields}` with a {@link Row}, or undefined for any other message. */
  record(message: DriverBuffer, shape: RecordShape): unknown {
    const single = message._buffer;
    const b = single ?? Buffer.concat((message._buffers ?? []).map((part) => part._buffer ?? Buffer.alloc(0)));
    const start = single ? message.position : 0;
    if (b[start] !== RECORD_STRUCT || b[start + 1] !== RECORD_SIGNATURE || b[start + 2] !== FIELDS[shape]) return undefined;
    this.b = b;
    this.p = start + 3;
    this.view = single ? message : (new channelBufferModule.default(b) as DriverBuffer);
    this.notes.needsServer = false;
    const row = shape === "node" ? this.node() : this.relationship();
    const read = this.read[shape];
    read.records++;
    read.bytes += b.length - start;
    return { signature: RECORD_SIGNATURE, fields: [[row]] };
  }

  meanBytes(shape: RecordShape): number | undefined {
    const read = this.read[shape];
    return read.records > 0 ? read.bytes / read.records : undefined;
  }

  private node(): Row {
    const id = this.value();
    const labels = this.labels();
    const text = `{i: ${id}, p: ${this.value()}}`;
    return new Row(text, this.notes.needsServer, labels.group, labels.labels);
  }

  private relationship(): Row {
    const start = this.value();
    const end = this.value();
    const type = this.nextString();
    const text = `{s: ${start}, e: ${end}, p: ${this.value()}}`;
    return new Row(text, this.notes.needsServer, type);
  }

  /** The labels list, decoded once per distinct byte sequence. */
  private labels(): { labels: string[]; group: string } {
    const from = this.p;
    const count = this.size(this.b[this.p++] ?? 0, 0x90);
    const at: number[] = [];
    for (let i = 0; i < count; i++) {
      const length = this.size(this.b[this.p++] ?? 0, 0x80);
      at.push(this.p, length);
      this.p += length;
    }
    const key = this.b.toString("latin1", from, this.p);
    let known = this.labelSets.get(key);
    if (known === undefined) {
      const labels: string[] = [];
      for (let i = 0; i < at.length; i += 2) labels.push(this.b.toString("utf8", at[i], (at[i] ?? 0) + (at[i + 1] ?? 0)));
      known = { labels, group: labels.join("\u0000") };
      if (this.labelSets.size < 10_000) this.labelSets.set(key, known);
    }
    return known;
  }

  /** The Cypher text of the value at the position, which moves past it. */
  private value(): string {
    const b = this.b;
    const marker = b[this.p++] ?? 0;
    if (marker < 0x80 || marker >= 0xf0) return SMALL_INTS[marker] ?? "";
    switch (marker >> 4) {
      case 0x8: return writeString(this.string(marker & 0x0f));
      case 0x9: return this.list(marker & 0x0f);
      case 0xa: return this.map(marker & 0x0f);
      case 0xb: return this.structure();
      default: break;
    }
    switch (marker) {
      case 0xc0: return "null";
      case 0xc1: {
        const x = b.readDoubleBE(this.p);
        this.p += 8;
        return writeFloat(x, this.notes);
      }
      case 0xc2: return "false";
      case 0xc3: return "true";
      case 0xc8: return String(b.readInt8(this.p++));
      case 0xc9: return String(this.advance(2, b.readInt16BE(this.p)));
      case 0xca: return String(this.advance(4, b.readInt32BE(this.p)));
      case 0xcb: return String(this.advance(8, b.readBigInt64BE(this.p)));
      case 0xcc: case 0xcd: case 0xce: {
        const length = this.size(marker, 0);
        const bytes = new Int8Array(b.buffer, b.byteOffset + this.p, length);
        this.p += length;
        return writeValue(bytes, this.notes);
      }
      case 0xd0: case 0xd1: case 0xd2: return writeString(this.string(this.size(marker, 0)));
      case 0xd4: case 0xd5: case 0xd6: return this.list(this.size(marker, 0));
      case 0xd8: case 0xd9: case 0xda: return this.map(this.size(marker, 0));
      case 0xdc: case 0xdd: return this.structure();
      default: throw new EngineError(`Neo4j sent a value this export cannot read (packstream marker 0x${marker.toString(16)}).`);
    }
  }

  /** A list: floats only (an embedding) in one native `JSON.stringify` where the literal writer would, else value by value. */
  private list(count: number): string {
    const b = this.b;
    let allFloats = count > 0;
    for (let i = 0, q = this.p; i < count && allFloats; i++, q += 9) allFloats = b[q] === 0xc1;
    if (allFloats) {
      const floats = this.floats;
      floats.length = count;
      for (let i = 0; i < count; i++) floats[i] = b.readDoubleBE(this.p + 9 * i + 1);
      if (isPlainFloatList(floats)) {
        this.p += 9 * count;
        return JSON.stringify(floats);
      }
    }
    let out = "[";
    for (let i = 0; i < count; i++) out += (i === 0 ? "" : ",") + this.value();
    return `${out}]`;
  }

  private map(count: number): string {
    let out = "{";
    for (let i = 0; i < count; i++) {
      const key = this.nextString();
      out += `${i === 0 ? "" : ", "}${writeKey(key, this.notes)}: ${this.value()}`;
    }
    return `${out}}`;
  }

  /** A structure (temporal, spatial, duration): the driver's own unpacker and type transformers, from its marker. */
  private structure(): string {
    this.view.position = this.p - 1;
    const value = this.protocol._unpacker.unpack(this.view, this.protocol.transformer.fromStructure);
    this.p = this.view.position;
    return writeValue(value, this.notes);
  }

  /** The string whose marker is at the position (a relationship's type, a map's key). */
  private nextString(): string {
    return this.string(this.size(this.b[this.p++] ?? 0, 0x80));
  }

  private string(length: number): string {
    const text = this.b.toString("utf8", this.p, this.p + length);
    this.p += length;
    return text;
  }

  /**
   * The size of a string, list, map or byte array from its marker: the low nibble of a tiny marker (`tiny` is
   * the marker's high nibble, 0 when there is no tiny form), else the 8-, 16- or 32-bit size that follows.
   */
  private size(marker: number, tiny: number): number {
    if (tiny !== 0 && (marker & 0xf0) === tiny) return marker & 0x0f;
    const b = this.b;
    switch (marker & 0x03) {
      case 0x00: return b[this.p++] ?? 0;
      case 0x01: return this.advance(2, b.readUInt16BE(this.p));
      case 0x02: return this.advance(4, b.readUInt32BE(this.p));
      default: throw new EngineError(`Neo4j sent a size this export cannot read (packstream marker 0x${marker.toString(16)}).`);
    }
  }

  private advance<T>(bytes: number, value: T): T {
    this.p += bytes;
    return value;
  }
}
