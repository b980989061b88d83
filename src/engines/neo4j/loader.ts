/**
 * Loads a Cypher script fast. Consecutive `UNWIND [ literal rows ] AS row <tail>` (APOC's `UNWIND_BATCH` output,
 * `stackvault-cypher/1`) or `:param {rows: [ literal rows ]}` + `UNWIND $rows AS row <tail>` (`stackvault-cypher/2`)
 * statements with the same tail are parsed locally into parameters and
 * merged into large transactions (`UNWIND $rows AS row <tail>`, {@link LoaderOptions.rowsPerTransaction} rows
 * each); the next batch is parsed while the server writes the previous one. Every other statement runs as
 * written in its own auto-commit transaction (so `CALL { … } IN TRANSACTIONS` works), like `cypher-shell`.
 * `:param` commands are honoured, `:begin`/`:commit` are ignored (the loader makes its own transactions).
 *
 * Memory: one statement of the script plus the rows of one or two transactions (bounded by
 * {@link LoaderOptions.charsPerTransaction}).
 */
import { IntegrityError, throwIfAborted } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import type { Emitter } from "../../core/events.ts";
import type { Neo4jConnection } from "./connection.ts";
import { parseLiteral, NotALiteral } from "./literal-parser.ts";
import { asBatch, classify, largest } from "./batch-statement.ts";
import type { ScriptItem } from "./statement-splitter.ts";
import { TRAILER_PREFIX } from "./script-format.ts";

export interface LoaderOptions {
  signal: AbortSignal;
  events: Emitter;
  /** Rows per write transaction. @default 20000 */
  rowsPerTransaction?: number;
  /**
   * Script characters per write transaction (large embeddings). With two transactions' rows alive at once (one
   * written, the next parsed), this bounds the loader's heap whatever the graph's size: the parsed rows take
   * about three times their script characters in memory, and V8 lets the heap grow to a multiple of what is
   * alive, so this is the main term of a restore's peak memory. Larger transactions save little time: the
   * rows cap ({@link rowsPerTransaction}) already decides for rows without embeddings. @default 2 MiB
   */
  charsPerTransaction?: number;
  /** Fail when the script has no `stackvault:end` trailer (a truncated `stackvault-cypher` script). */
  requireTrailer: boolean;
}

export interface LoadResult {
  /** Statements run as written. */
  statements: number;
  /** Rows loaded through parameters. */
  rows: number;
  /** Transactions used for the rows. */
  transactions: number;
  /** Counts announced by the trailer, when there is one. */
  trailer?: { nodes: number; relationships: number };
}

/** Runs the script's items against the connection's database. */
export async function loadScript(conn: Neo4jConnection, items: AsyncIterable<ScriptItem>, options: LoaderOptions): Promise<LoadResult> {
  const maxRows = options.rowsPerTransaction ?? 20_000;
  const maxChars = options.charsPerTransaction ?? 2 * 1024 * 1024;
  const result: LoadResult = { statements: 0, rows: 0, transactions: 0 };
  const params: Record<string, unknown> = {};
  const session = conn.session("WRITE");
  const groups = new Map<string, { rows: unknown[]; chars: number }>();
  let pendingChars = 0;
  let commandChars = 0;
  let inflight: Promise<void> | undefined;

  const write = async (query: string, rows: unknown[]): Promise<void> => {
    await conn.guard(() => session.executeWrite((tx) => tx.run(query, { ...params, rows })), options.signal);
    result.rows += rows.length;
    result.transactions++;
    if (result.transactions % 10 === 0) options.events.info(`Neo4j restore: ${result.rows} rows loaded`);
  };
  const settle = async (): Promise<void> => {
    const p = inflight;
    inflight = undefined;
    if (p) await p;
  };
  const flush = async (query: string): Promise<void> => {
    const group = groups.get(query);
    if (!group) return;
    groups.delete(query);
    pendingChars -= group.chars;
    await settle();
    inflight = quiet(write(query, group.rows)); // awaited by the next settle()
  };
  const flushAll = async (): Promise<void> => {
    for (const query of [...groups.keys()]) await flush(query);
  };
  const add = async (query: string, rows: unknown[], chars: number): Promise<void> => {
    // Batches of one class (node creation, or relationship creation between matched nodes) do not depend on
    // each other: they may be merged out of order. A change of class, or any other batch, keeps the script's
    // order, so a relationship batch never runs before the nodes it matches.
    const kind = classify(query);
    const independent = kind !== undefined && [...groups.keys()].every((q) => classify(q) === kind);
    if (!independent && !(groups.size === 1 && groups.has(query))) await flushAll();
    let group = groups.get(query);
    if (!group) {
      group = { rows: [], chars: 0 };
      groups.set(query, group);
    }
    for (const row of rows) group.rows.push(row);
    group.chars += chars;
    pendingChars += chars;
    if (group.rows.length >= maxRows || group.chars >= maxChars) await flush(query);
    while (pendingChars >= maxChars && groups.size > 0) await flush(largest(groups));
  };

  try {
    for await (const item of items) {
      throwIfAborted(options.signal);
      if (item.kind === "comment") {
        const m = item.text.startsWith(TRAILER_PREFIX) ? /nodes=(\d+) relationships=(\d+)/.exec(item.text) : null;
        if (m) result.trailer = { nodes: Number(m[1]), relationships: Number(m[2]) };
        continue;
      }
      if (item.kind === "command") {
        applyCommand(item.text, params);
        commandChars = item.text.length; // a batch's rows may come from the `:param` before it
        continue;
      }
      if (!item.complete) {
        throw new IntegrityError("The Neo4j script ends in the middle of a statement: the artifact is truncated.", {
          hint: "Restore another backup; this one was cut short.",
        });
      }
      if (result.trailer) throw new IntegrityError("The Neo4j script has statements after its end marker: the artifact is corrupted.");
      const batch = asBatch(item.text, params);
      if (batch) {
        await add(batch.query, batch.rows, item.text.length + (batch.fromParameter ? commandChars : 0));
        continue;
      }
      await flushAll();
      await settle();
      await conn.guard(() => session.run(item.text, params), options.signal);
      result.statements++;
    }
    await flushAll();
    await settle();
  } finally {
    await inflight?.catch(() => {});
    await session.close().catch(() => {});
  }
  if (options.requireTrailer && !result.trailer) {
    throw new IntegrityError("The Neo4j script has no end marker: the artifact is truncated.", { hint: "Restore another backup; this one was cut short." });
  }
  return result;
}

// --- internal ---

/** `:param name => expr`, `:param {name: expr}`, `:params {…}`; other client commands do nothing here. */
function applyCommand(text: string, params: Record<string, unknown>): void {
  const arrow = /^:params?\s+([A-Za-z_][A-Za-z0-9_]*)\s*=>\s*/.exec(text);
  try {
    if (arrow?.[1] !== undefined) {
      params[arrow[1]] = parseLiteral(text, arrow[0].length).value;
    } else if (/^:params?\s+\{/.test(text)) {
      Object.assign(params, parseLiteral(text, text.indexOf("{")).value as Record<string, unknown>);
    } else if (/^:params?\s+clear/.test(text)) {
      for (const k of Object.keys(params)) delete params[k];
    }
  } catch (err) {
    if (!(err instanceof NotALiteral)) throw err;
    throw new IntegrityError(`The Neo4j script has a parameter the loader cannot read: ${text.slice(0, 80)}`, { cause: err });
  }
}
