/**
 * The `cypher` export method: reads the whole database in ONE read transaction through Bolt, records pulled
 * `fetchSize` at a time or, for small records, more ({@link pullSize}; the driver stops pulling while the
 * consumer is slow, see `record-chunks.ts`), and yields the `stackvault-cypher/2` script (see
 * `script-format.ts`), batch by batch, as the UTF-8 buffers the {@link Batcher} wrote. Each record's row is
 * written from the record's Bolt bytes (`record-text.ts`), not from the values the driver would make of them.
 * Nothing is written on the server and APOC is not needed.
 *
 * Memory: the driver's fetch window (up to about three pulls: `fetchSize` records each, or for small records
 * about {@link PULL_BYTES} of them, see {@link pullSize}) plus the open batches of the {@link Batcher} (≤ 64 MiB,
 * usually a few MiB).
 *
 * Neo4j reads are read-committed, not snapshots: counts are taken before and after the transaction and
 * compared with what was streamed; a difference means that something wrote during the export, and the export
 * fails (or, with `onConcurrentWrite: "warn"`, emits a warning and records it in the section's details).
 */
import type { Record as Neo4jRecord } from "neo4j-driver";
import { EngineError } from "../../core/errors.ts";
import type { Emitter } from "../../core/events.ts";
import type { Neo4jConnection } from "./connection.ts";
import type { SchemaStatements } from "./schema.ts";
import { Batcher } from "./batcher.ts";
import type { WriteNotes } from "./literal-writer.ts";
import { recordChunks, type RecordChunksOptions } from "./record-chunks.ts";
import { isTextRow, transcodeRecords, type RecordShape, type RecordTranscoding, type TextRow } from "./record-text.ts";
import {
  cleanup, FORMAT, nodeRow, nodeStatementTail, prologue, relationshipRow, relationshipStatementTail, trailer, type BatchLimits,
} from "./script-format.ts";

export interface CypherExportOptions {
  signal: AbortSignal;
  events: Emitter;
  /** The schema, read before or while the export runs; written after the data. */
  schema: Promise<SchemaStatements>;
  /** Counts taken just before the export (`nodes`, `relationships`, …). */
  before: Record<string, number>;
  /** Source description written into the header. */
  source: string;
  /** @default "fail" */
  onConcurrentWrite?: "fail" | "warn";
  limits?: BatchLimits;
  /**
   * Where the rows' text comes from: the records' Bolt bytes (`record-text.ts`), or the values the driver makes
   * of them (slower; the same text, which a test compares).
   * @default "bytes"
   */
  rowsFrom?: "bytes" | "values";
  /** Receives the final tallies once the script is complete (before its trailer is yielded). */
  onDone?: (result: CypherExportResult) => void;
}

export interface CypherExportResult {
  nodes: number;
  relationships: number;
  /** Counts after the transaction. */
  after: Record<string, number>;
  /** Present when the database changed during the export and the option said to warn. */
  concurrentWrite?: string;
}

/** Yields the script, chunk by chunk. Close the generator (or destroy its stream) to abort the transaction. */
export async function* exportCypher(conn: Neo4jConnection, options: CypherExportOptions): AsyncGenerator<Buffer> {
  const { signal } = options;
  yield Buffer.from(header(options.source));
  yield Buffer.from(prologue());
  const batcher = new Batcher(options.limits);
  const tails = new Map<string, string>(); // statement tail per label set, then per type
  const notes: WriteNotes = { needsServer: false };
  let nodes = 0;
  let relationships = 0;
  const session = conn.session("READ");
  const tx = session.beginTransaction();
  let committed = false;
  let text: RecordTranscoding | undefined;
  try {
    if ((options.rowsFrom ?? "bytes") === "bytes") text = await transcodeRecords(tx, "node").catch(() => undefined);
    const read = (shape: RecordShape): RecordChunksOptions => {
      const sized = text;
      return {
        signal, highWater: conn.fetchSize, translate: (err: unknown) => conn.translate(err, signal),
        ...(sized ? { pullSize: () => pullSize(sized.meanBytes(shape), conn.fetchSize) } : {}),
      };
    };
    const nodeResult = tx.run("MATCH (n) RETURN id(n) AS i, labels(n) AS l, properties(n) AS p");
    for await (const records of recordChunks(nodeResult, read("node"))) {
      for (const record of records) {
        const row = nodeText(record, notes);
        let tail = tails.get(row.group);
        if (tail === undefined) {
          tail = nodeStatementTail((row.labels ?? []).slice().sort());
          if (tails.size < 10_000) tails.set(row.group, tail);
        }
        for (const batch of batcher.add(tail, row.text, row.needsServer)) yield batch;
        if (++nodes % 100_000 === 0) options.events.info(`Neo4j export: ${nodes} nodes`);
      }
    }
    yield* batcher.drain();
    tails.clear();
    if (text) text.shape = "relationship";
    const relResult = tx.run("MATCH (a)-[r]->(b) RETURN id(a) AS s, id(b) AS e, type(r) AS t, properties(r) AS p");
    for await (const records of recordChunks(relResult, read("relationship"))) {
      for (const record of records) {
        const row = relationshipText(record, notes);
        let tail = tails.get(row.group);
        if (tail === undefined) {
          tail = relationshipStatementTail(row.group);
          if (tails.size < 10_000) tails.set(row.group, tail);
        }
        for (const batch of batcher.add(tail, row.text, row.needsServer)) yield batch;
        if (++relationships % 100_000 === 0) options.events.info(`Neo4j export: ${relationships} relationships`);
      }
    }
    // Before the commit: once committed, the connection goes back to the pool, where another query (the schema,
    // read beside the export) may take it and must get the driver's own records.
    text?.end();
    yield* batcher.drain();
    await conn.guard(() => tx.commit(), signal);
    committed = true;
  } finally {
    text?.end();
    if (!committed) await tx.rollback().catch(() => {});
    await session.close().catch(() => {});
  }
  yield Buffer.from(cleanup());
  const { constraints, indexes } = await options.schema;
  const schema = [...constraints, ...indexes];
  if (schema.length > 0) yield Buffer.from(`${schema.map((s) => `${s};`).join("\n")}\nCALL db.awaitIndexes(3600);\n`);
  const after = await conn.counts(signal);
  const concurrentWrite = compare(options.before, after, nodes, relationships);
  if (concurrentWrite) {
    if ((options.onConcurrentWrite ?? "fail") === "fail") {
      throw new EngineError(`Neo4j changed during the export (${concurrentWrite}); the backup would not be consistent.`, {
        hint: "Stop the writers (the worker and app are quiesced by the plan) and run the backup again, or accept it with the warn option.",
      });
    }
    options.events.warn(`Neo4j changed during the export (${concurrentWrite}); the backup may not be consistent.`);
  }
  options.onDone?.({ nodes, relationships, after, ...(concurrentWrite ? { concurrentWrite } : {}) });
  yield Buffer.from(trailer(nodes, relationships));
}

/** Bytes, as sent, that one pull asks for once the size of the records is known. */
export const PULL_BYTES = 128 * 1024;
/** The most records one pull asks for, however small they are. */
export const MAX_PULL = 10_000;

/**
 * Records per pull for records of `meanBytes` on average: about {@link PULL_BYTES}, never fewer than `least`
 * (the connection's fetch size) nor more than {@link MAX_PULL}. Small records (relationships without large
 * properties, about 40 bytes each in the reference graph) then come in a few large pulls instead of hundreds
 * of round trips, each of which left the server waiting for the client and the client for the server; larger
 * ones (the reference graph's nodes, about 650 bytes on average) keep the fetch size, which bounds what waits
 * in memory. Measured with `bench/neo4j/child.ts export-cypher`, alternating runs against pulls of 250: 0.56
 * against 0.60 s at 1× (median of ten each), 3.67 against 3.78 s at 10× (six each). A target of 256 KiB, which
 * also grew the node pulls, used more CPU and memory.
 */
export function pullSize(meanBytes: number | undefined, least: number): number {
  return meanBytes === undefined ? least : Math.min(MAX_PULL, Math.max(least, Math.floor(PULL_BYTES / meanBytes)));
}

// --- internal ---

/** A node record as text: the one {@link transcodeRecords} made, or written from the driver's values. */
function nodeText(record: Neo4jRecord, notes: WriteNotes): TextRow {
  const made = record.get(0) as unknown;
  if (isTextRow(made)) return made;
  const labels = record.get("l") as string[];
  notes.needsServer = false;
  const text = nodeRow(record.get("i") as bigint, record.get("p") as Record<string, unknown>, notes);
  return { text, needsServer: notes.needsServer, labels, group: labels.join("\u0000") };
}

/** A relationship record as text: the one {@link transcodeRecords} made, or written from the driver's values. */
function relationshipText(record: Neo4jRecord, notes: WriteNotes): TextRow {
  const made = record.get(0) as unknown;
  if (isTextRow(made)) return made;
  notes.needsServer = false;
  const text = relationshipRow(record.get("s") as bigint, record.get("e") as bigint, record.get("p") as Record<string, unknown>, notes);
  return { text, needsServer: notes.needsServer, group: record.get("t") as string };
}

function header(source: string): string {
  return [
    `// ${FORMAT}: a Neo4j database exported by stackvault from ${source.replace(/\n/g, " ")}`,
    "// Replay with: cypher-shell -f THIS_FILE (into an empty database; byte-array properties need APOC's apoc.util.compress).",
    "// Faster: stackvault restore (merges the batches below, many thousands of rows per transaction).",
    "",
  ].join("\n");
}

function compare(before: Record<string, number>, after: Record<string, number>, nodes: number, rels: number): string | undefined {
  const diffs: string[] = [];
  if (before.nodes !== after.nodes) diffs.push(`nodes ${before.nodes} → ${after.nodes}`);
  if (before.relationships !== after.relationships) diffs.push(`relationships ${before.relationships} → ${after.relationships}`);
  if (nodes !== after.nodes) diffs.push(`${nodes} nodes read, ${after.nodes} counted`);
  if (rels !== after.relationships) diffs.push(`${rels} relationships read, ${after.relationships} counted`);
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key.includes(":") && before[key] !== after[key]) diffs.push(`${key} ${before[key] ?? 0} → ${after[key] ?? 0}`);
  }
  return diffs.length > 0 ? diffs.slice(0, 5).join(", ") : undefined;
}
