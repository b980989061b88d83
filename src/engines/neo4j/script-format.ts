/**
 * The `stackvault-cypher/2` script: plain Cypher that `cypher-shell -f` replays as is, laid out so that the
 * stackvault loader can load it fast (it merges the batches into transactions of thousands of rows).
 *
 * ```
 * // stackvault-cypher/2 …header comments…
 * CREATE INDEX `__stackvault_import_id` IF NOT EXISTS FOR (n:`__StackvaultImport`) ON (n.`__stackvault_id`);
 * CALL db.awaitIndexes(3600);
 * :param {rows: [{i: 0, p: {…}}, …]}
 * UNWIND $rows AS row CREATE (n:`__StackvaultImport`:`Label` {`__stackvault_id`: row.i}) SET n += row.p;
 * :param {rows: [{s: 0, e: 1, p: {…}}, …]}
 * UNWIND $rows AS row MATCH (a:`__StackvaultImport` {`__stackvault_id`: row.s}) MATCH (b:…) CREATE (a)-[r:`TYPE`]->(b) SET r += row.p;
 * UNWIND [{i: 7, p: {…byte array…}}, …] AS row CREATE (n:…) SET n += row.p;   (rows cypher-shell cannot evaluate)
 * :param clear
 * MATCH (n:`__StackvaultImport`) CALL { WITH n REMOVE n:`__StackvaultImport` REMOVE n.`__stackvault_id` } IN TRANSACTIONS OF 10000 ROWS;
 * DROP INDEX `__stackvault_import_id` IF EXISTS;
 * CREATE CONSTRAINT … IF NOT EXISTS …;   (schema, after the data)
 * CALL db.awaitIndexes(3600);
 * // stackvault:end nodes=N relationships=M
 * ```
 *
 * Why rows travel as a `:param` and not inside the statement: a Neo4j server compiles every distinct statement
 * text and keeps its syntax tree in its query caches, and 5.26 holds a compiled regular expression in every
 * float literal of that tree (`DecimalDoubleLiteral.doubleMatcher`): a script of literal batches (version 1)
 * made the server's heap grow with the graph's floats (embeddings) until it ran out of memory. cypher-shell
 * evaluates a `:param` expression itself (its literal interpreter: literals, maps, lists, `date`, `datetime`,
 * `time`, `localtime`, `localdatetime`, `duration`, `point`) and sends the value as a Bolt parameter, so the
 * server sees one small statement text per label set or type. Rows that must not take that path (their
 * writer's {@link WriteNotes} say they need the server) are written as in version 1, `UNWIND [ … ] AS row
 * <tail>;`, in small batches of their own ({@link SERVER_LIMITS}, APOC's size), so that what the server
 * compiles stays small whatever the graph's size. They are the rows that hold `apoc.util.compress(…)` (byte
 * arrays) or `toFloat(…)` (NaN, infinities), which cypher-shell's literal interpreter cannot evaluate; a name
 * with a backtick (the interpreter keeps both of a doubled one) or a line break (a `:param` command ends at
 * the end of its line); a time zone offset with seconds (the interpreter refuses it); a datetime with a zone
 * id within a day of that zone's offset change (the trip through cypher-shell's driver keeps the zone but
 * may lose which of the two readings of an hour that happens twice was meant). The batches are grouped and
 * cut by the `Batcher` (`batcher.ts`).
 *
 * Nodes are grouped by label set and relationships by type, so each batch has one statement text. Byte arrays
 * are written with `apoc.util.compress` (see `literal-writer.ts`): a plain replay of a graph with byte arrays
 * needs APOC; the stackvault loader does not.
 *
 * Version 1 (`stackvault-cypher/1`) wrote the rows inside the statement (`UNWIND [ … ] AS row …`); the loader
 * still reads it ({@link READABLE_FORMATS}).
 */
import { writeName, writeMap, type WriteNotes } from "./literal-writer.ts";

export const FORMAT = "stackvault-cypher/2";
/** Every script format the loader reads: this one and the literal batches of version 1. */
export const READABLE_FORMATS: readonly string[] = ["stackvault-cypher/1", FORMAT];
export const IMPORT_LABEL = "__StackvaultImport";
export const IMPORT_KEY = "__stackvault_id";
export const IMPORT_INDEX = "__stackvault_import_id";
export const TRAILER_PREFIX = "// stackvault:end";

/** Batch sizes of the script (not of the loader, which merges batches into larger transactions). */
export interface BatchLimits {
  /** @default 1000 */
  rows: number;
  /**
   * Characters of one batch before it is closed early (long embeddings). cypher-shell parses a `:param` of
   * this size in its own heap (about 1 GiB for 1 MiB of embeddings); the loader merges batches anyway.
   * @default 256 KiB
   */
  chars: number;
}

export const DEFAULT_LIMITS: BatchLimits = { rows: 1000, chars: 256 * 1024 };

/**
 * Batch sizes for rows that need the server ({@link WriteNotes}): they are written inside the statement, which the server
 * compiles and keeps in a cache of 1,000 entries, so these batches stay as small as APOC's.
 */
export const SERVER_LIMITS: BatchLimits = { rows: 20, chars: 64 * 1024 };

/** What separates two rows of a batch. */
export const ROW_SEPARATOR = ", ";

/** The text before a batch's first row: a `:param` command, or for rows that need the server, the statement. */
export function batchStart(needsServer: boolean): string {
  return needsServer ? "UNWIND [" : ":param {rows: [";
}

/** The text after a batch's last row, up to the end of its statement (`;` and a line break). */
export function batchEnd(needsServer: boolean, tail: string): string {
  return needsServer ? `] AS row ${tail};\n` : `]}\nUNWIND $rows AS row ${tail};\n`;
}

/** Statements that prepare the temporary id index. */
export function prologue(): string {
  return [
    `CREATE INDEX ${writeName(IMPORT_INDEX)} IF NOT EXISTS FOR (n:${writeName(IMPORT_LABEL)}) ON (n.${writeName(IMPORT_KEY)});`,
    "CALL db.awaitIndexes(3600);",
    "",
  ].join("\n");
}

/** Statements that forget the last batch's rows, then remove the temporary label, ids and index, in batches. */
export function cleanup(): string {
  const label = writeName(IMPORT_LABEL);
  return [
    ":param clear",
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

/** One row of a node batch; `notes` learns whether it {@link WriteNotes | needs the server}. */
export function nodeRow(id: bigint, props: Record<string, unknown>, notes?: WriteNotes): string {
  return `{i: ${id}, p: ${writeMap(props, notes)}}`;
}

/** One row of a relationship batch; `notes` learns whether it {@link WriteNotes | needs the server}. */
export function relationshipRow(start: bigint, end: bigint, props: Record<string, unknown>, notes?: WriteNotes): string {
  return `{s: ${start}, e: ${end}, p: ${writeMap(props, notes)}}`;
}

/** Makes a `SHOW … YIELD createStatement` statement idempotent (`CREATE … `name` IF NOT EXISTS FOR …`). */
export function ifNotExists(createStatement: string): string {
  return createStatement.replace(/^(\s*CREATE\s+(?:[A-Z]+\s+)*?(?:INDEX|CONSTRAINT)\s+(?:`(?:[^`]|``)*`|[A-Za-z_][A-Za-z0-9_]*))(?!\s+IF\s+NOT\s+EXISTS)/i, "$1 IF NOT EXISTS");
}

/** The last line of a complete script. */
export function trailer(nodes: number, relationships: number): string {
  return `${TRAILER_PREFIX} nodes=${nodes} relationships=${relationships}\n`;
}
