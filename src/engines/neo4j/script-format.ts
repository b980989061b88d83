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
 * server sees one small statement text per label set or type. Rows that must not take that path
 * ({@link needsServer}: byte arrays, special floats, names with a backtick, offsets with seconds, zoned
 * datetimes near a daylight-saving change, whose offset the trip through cypher-shell's driver loses) are
 * written as in version 1, `UNWIND [ … ] AS row <tail>;`, in small batches of their own
 * ({@link SERVER_LIMITS}, APOC's size), so that what the server compiles stays small whatever the graph's size.
 *
 * Nodes are grouped by label set and relationships by type, so each batch has one statement text. Byte arrays
 * are written with `apoc.util.compress` (see `literal-writer.ts`): a plain replay of a graph with byte arrays
 * needs APOC; the stackvault loader does not.
 *
 * Version 1 (`stackvault-cypher/1`) wrote the rows inside the statement (`UNWIND [ … ] AS row …`); the loader
 * still reads it ({@link READABLE_FORMATS}).
 */
import { writeName, writeMap } from "./literal-writer.ts";

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
 * Batch sizes for rows that {@link needsServer}: they are written inside the statement, which the server
 * compiles and keeps in a cache of 1,000 entries, so these batches stay as small as APOC's.
 */
export const SERVER_LIMITS: BatchLimits = { rows: 20, chars: 64 * 1024 };

/**
 * True when a row must reach the server as Cypher text rather than through cypher-shell's `:param`:
 * `apoc.util.compress(…)` (byte arrays) and `toFloat(…)` (NaN, infinities), which its literal interpreter
 * cannot evaluate; a doubled backtick (a name containing a backtick: the interpreter keeps both); a time zone
 * offset with seconds (the interpreter refuses it); a line break (only a name can hold one unescaped, and
 * a `:param` command ends at the end of its line); a datetime with a zone id within a day of that zone's
 * offset change (the trip through cypher-shell's driver keeps the zone but may lose which of the two
 * readings of an hour that happens twice was meant). Text inside strings may match too: that only puts the
 * row into a smaller batch.
 */
export function needsServer(row: string): boolean {
  if (SERVER_RE.test(row)) return true;
  if (!row.includes("]')")) return false;
  for (const m of row.matchAll(ZONED_RE)) if (nearOffsetChange(m[1] ?? "", m[2] ?? "", m[3] ?? "")) return true;
  return false;
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

/** One row of a node batch. */
export function nodeRow(id: bigint, props: Record<string, unknown>): string {
  return `{i: ${id}, p: ${writeMap(props)}}`;
}

/** One row of a relationship batch. */
export function relationshipRow(start: bigint, end: bigint, props: Record<string, unknown>): string {
  return `{s: ${start}, e: ${end}, p: ${writeMap(props)}}`;
}

/**
 * Groups rows by statement tail (and by whether they {@link needsServer}) and closes a batch at its limits:
 * a batch is a `:param {rows: [...]}` line followed by `UNWIND $rows AS row <tail>;`, or, for rows that need
 * the server, `UNWIND [...] AS row <tail>;`. Memory: at most
 * `chars` per open group, and at most 64 MiB over all groups (the largest group is flushed first beyond that).
 */
export class Batcher {
  private readonly groups = new Map<string, { tail: string; server: boolean; rows: string[]; chars: number; limits: BatchLimits }>();
  private total = 0;
  private readonly limits: BatchLimits;
  private readonly serverLimits: BatchLimits;

  constructor(limits: BatchLimits = DEFAULT_LIMITS, serverLimits: BatchLimits = SERVER_LIMITS) {
    this.limits = limits;
    this.serverLimits = { rows: Math.min(limits.rows, serverLimits.rows), chars: Math.min(limits.chars, serverLimits.chars) };
  }

  /** Adds a row; returns the batches (`:param` line and statement, with `;\n`) that became complete. */
  add(tail: string, row: string): string[] {
    const server = needsServer(row);
    const key = server ? `\u0000${tail}` : tail;
    let group = this.groups.get(key);
    if (!group) {
      group = { tail, server, rows: [], chars: 0, limits: server ? this.serverLimits : this.limits };
      this.groups.set(key, group);
    }
    group.rows.push(row);
    group.chars += row.length + 2;
    this.total += row.length + 2;
    const out: string[] = [];
    if (group.rows.length >= group.limits.rows || group.chars >= group.limits.chars) out.push(this.flush(key));
    while (this.total > 64 * 1024 * 1024) out.push(this.flush(this.largest()));
    return out;
  }

  /** Closes every open batch. */
  drain(): string[] {
    return [...this.groups.keys()].map((key) => this.flush(key));
  }

  private flush(key: string): string {
    const group = this.groups.get(key);
    this.groups.delete(key);
    if (!group) return "";
    this.total -= group.chars;
    const rows = group.rows.join(", ");
    return group.server ? `UNWIND [${rows}] AS row ${group.tail};\n` : `:param {rows: [${rows}]}\nUNWIND $rows AS row ${group.tail};\n`;
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

// --- internal ---

const SERVER_RE = /apoc\.util\.compress\(|toFloat\(|``|[+-]\d\d:\d\d:\d\d['[]|[\n\r]/;
/** `datetime('<local>±HH:MM[<zone>]')` as written by `literal-writer.ts`. */
const ZONED_RE = /datetime\('([^'+]+?)([+-]\d\d:\d\d|Z)\[([^\]']+)\]'\)/g;
const DAY_MS = 24 * 3600 * 1000;
const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Whether `zone`'s UTC offset differs a day before and a day after the instant `local` + `offset`. */
function nearOffsetChange(local: string, offset: string, zone: string): boolean {
  const at = Date.parse(`${local.slice(0, 23)}${offset === "Z" ? "Z" : offset}`);
  if (Number.isNaN(at)) return true; // a year Date cannot hold: let the server read it
  try {
    return zoneOffset(zone, at - DAY_MS) !== zoneOffset(zone, at + DAY_MS);
  } catch {
    return true; // a zone this runtime does not know
  }
}

function zoneOffset(zone: string, at: number): string {
  let format = offsetFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" });
    if (offsetFormats.size < 1000) offsetFormats.set(zone, format);
  }
  return format.formatToParts(at).find((part) => part.type === "timeZoneName")?.value ?? "";
}
