/**
 * The `stackvault-cypher/1` script: plain Cypher that `cypher-shell -f` replays as is, laid out so that the
 * stackvault loader can load it fast (it turns each `UNWIND [ … ] AS row …` batch into a parameter and runs
 * thousands of rows per transaction).
 *
 * ```
 * // stackvault-cypher/1 …header comments…
 * CREATE INDEX `__stackvault_import_id` IF NOT EXISTS FOR (n:`__StackvaultImport`) ON (n.`__stackvault_id`);
 * CALL db.awaitIndexes(3600);
 * UNWIND [{i: 0, p: {…}}, …] AS row CREATE (n:`__StackvaultImport`:`Label` {`__stackvault_id`: row.i}) SET n += row.p;
 * UNWIND [{s: 0, e: 1, p: {…}}, …] AS row MATCH (a:`__StackvaultImport` {`__stackvault_id`: row.s}) MATCH (b:…) CREATE (a)-[r:`TYPE`]->(b) SET r += row.p;
 * MATCH (n:`__StackvaultImport`) CALL { WITH n REMOVE n:`__StackvaultImport` REMOVE n.`__stackvault_id` } IN TRANSACTIONS OF 10000 ROWS;
 * DROP INDEX `__stackvault_import_id` IF EXISTS;
 * CREATE CONSTRAINT … IF NOT EXISTS …;   (schema, after the data)
 * CALL db.awaitIndexes(3600);
 * // stackvault:end nodes=N relationships=M
 * ```
 *
 * Nodes are grouped by label set and relationships by type, so each batch has one statement text. Byte arrays
 * are written with `apoc.util.compress` (see `literal-writer.ts`): a plain replay of a graph with byte arrays
 * needs APOC; the stackvault loader does not.
 */
import { writeName, writeMap } from "./literal-writer.ts";

export const FORMAT = "stackvault-cypher/1";
export const IMPORT_LABEL = "__StackvaultImport";
export const IMPORT_KEY = "__stackvault_id";
export const IMPORT_INDEX = "__stackvault_import_id";
export const TRAILER_PREFIX = "// stackvault:end";

/** Batch sizes of the script (not of the loader, which merges batches into larger transactions). */
export interface BatchLimits {
  /** @default 1000 */
  rows: number;
  /** Characters of one statement before it is closed early (long embeddings). @default 4 MiB */
  chars: number;
}

export const DEFAULT_LIMITS: BatchLimits = { rows: 1000, chars: 4 * 1024 * 1024 };

/** Statements that prepare the temporary id index. */
export function prologue(): string {
  return [
    `CREATE INDEX ${writeName(IMPORT_INDEX)} IF NOT EXISTS FOR (n:${writeName(IMPORT_LABEL)}) ON (n.${writeName(IMPORT_KEY)});`,
    "CALL db.awaitIndexes(3600);",
    "",
  ].join("\n");
}

/** Statements that remove the temporary label, ids and index, in batches. */
export function cleanup(): string {
  const label = writeName(IMPORT_LABEL);
  return [
    `MATCH (n:${label}) CALL { WITH n REMOVE n:${label} REMOVE n.${writeName(IMPORT_KEY)} } IN TRANSACTIONS OF 10000 ROWS;`,
    `DROP INDEX ${writeName(IMPORT_INDEX)} IF EXISTS;`,
    "",
  ].join("\n");
}

/** The tail of a node batch statement for one label set (`AS row CREATE …`). */
export function nodeStatementTail(labels: readonly string[]): string {
  const all = [IMPORT_LABEL, ...labels].map(writeName).join(":");
  return `CREATE (n:${all} {${writeName(IMPORT_KEY)}: row.i}) SET n += row.p`;
}

/** The tail of a relationship batch statement for one type. */
export function relationshipStatementTail(type: string): string {
  const label = writeName(IMPORT_LABEL);
  const key = writeName(IMPORT_KEY);
  return `MATCH (a:${label} {${key}: row.s}) MATCH (b:${label} {${key}: row.e}) CREATE (a)-[r:${writeName(type)}]->(b) SET r += row.p`;
}

/** One row of a node batch. */
export function nodeRow(id: bigint, props: Record<string, unknown>): string {
  return `{i: ${id}, p: ${writeMap(props)}}`;
}

/** One row of a relationship batch. */
export function relationshipRow(start: bigint, end: bigint, props: Record<string, unknown>): string {
  return `{s: ${start}, e: ${end}, p: ${writeMap(props)}}`;
}

/**
 * Groups rows by statement tail and closes a batch at {@link BatchLimits}. Memory: at most `chars` per open
 * group, and at most 64 MiB over all groups (the largest group is flushed first beyond that).
 */
export class Batcher {
  private readonly groups = new Map<string, { rows: string[]; chars: number }>();
  private total = 0;
  private readonly limits: BatchLimits;

  constructor(limits: BatchLimits = DEFAULT_LIMITS) {
    this.limits = limits;
  }

  /** Adds a row; returns the statements (with `;\n`) that became complete. */
  add(tail: string, row: string): string[] {
    let group = this.groups.get(tail);
    if (!group) {
      group = { rows: [], chars: 0 };
      this.groups.set(tail, group);
    }
    group.rows.push(row);
    group.chars += row.length + 2;
    this.total += row.length + 2;
    const out: string[] = [];
    if (group.rows.length >= this.limits.rows || group.chars >= this.limits.chars) out.push(this.flush(tail));
    while (this.total > 64 * 1024 * 1024) out.push(this.flush(this.largest()));
    return out;
  }

  /** Closes every open batch. */
  drain(): string[] {
    return [...this.groups.keys()].map((tail) => this.flush(tail));
  }

  private flush(tail: string): string {
    const group = this.groups.get(tail);
    this.groups.delete(tail);
    if (!group) return "";
    this.total -= group.chars;
    return `UNWIND [${group.rows.join(", ")}] AS row ${tail};\n`;
  }

  private largest(): string {
    let best = "";
    let size = -1;
    for (const [tail, g] of this.groups) {
      if (g.chars > size) {
        best = tail;
        size = g.chars;
      }
    }
    return best;
  }
}

/** Makes a `SHOW … YIELD createStatement` statement idempotent (`CREATE … `name` IF NOT EXISTS FOR …`). */
export function ifNotExists(createStatement: string): string {
  return createStatement.replace(/^(\s*CREATE\s+(?:[A-Z]+\s+)*?(?:INDEX|CONSTRAINT)\s+(?:`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*))(?!\s+IF\s+NOT\s+EXISTS)/i, "$1 IF NOT EXISTS");
}

/** The last line of a complete script. */
export function trailer(nodes: number, relationships: number): string {
  return `${TRAILER_PREFIX} nodes=${nodes} relationships=${relationships}\n`;
}
