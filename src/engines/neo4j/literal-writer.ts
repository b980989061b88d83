/**
 * Writes Neo4j property values as Cypher expressions that any Cypher client evaluates back to the exact same
 * value (and that {@link parseLiteral} reads back without a server):
 *
 * | value (driver, `useBigInt: true`) | Cypher |
 * |---|---|
 * | string | `'…'` with `\\ \' \n \r \t` and `\uXXXX` escapes for other control characters |
 * | bigint (INTEGER, full int64) | `42`, `-9223372036854775808` |
 * | number (FLOAT) | shortest exact decimal (`1.0`, `1.5e-7`), `-0.0`, `toFloat('NaN')`, `toFloat('Infinity')`, `toFloat('-Infinity')` |
 * | boolean | `true` / `false` |
 * | Int8Array (BYTE[]) | `apoc.util.compress('…latin-1…', {compression: 'NONE', charset: 'ISO-8859-1'})`: Cypher has no byte literal, so a plain replay needs APOC for byte arrays (the stackvault loader does not) |
 * | Date, LocalTime, Time, LocalDateTime, DateTime | `date('…')`, `localtime('…')`, `time('…')`, `localdatetime('…')`, `datetime('…+01:00[Europe/Paris]')`, nanosecond precision |
 * | Duration | `duration({months: …, days: …, seconds: …, nanoseconds: …})` (exact, no normalisation) |
 * | Point | `point({srid: …, x: …, y: …[, z: …]})` |
 * | list | `[…]` of the above, separated by commas |
 *
 * A writer given {@link WriteNotes} also says whether what it wrote needs the server to evaluate it (see
 * `script-format.ts` for why a script cares).
 */
import neo4j from "neo4j-driver";
import { EngineError } from "../../core/errors.ts";
import { nearOffsetChange } from "./zone-offsets.ts";

/** What writing a value found out about its text. */
export interface WriteNotes {
  /**
   * Set, never cleared, when the text holds what a client's literal interpreter (cypher-shell's `:param`) cannot
   * evaluate exactly: `apoc.util.compress(…)` (byte arrays), `toFloat(…)` (NaN, infinities), a name with a
   * backtick or a line break, a time zone offset with seconds, or a datetime with a zone id and an offset
   * within a day of that zone's offset change ({@link nearOffsetChange}).
   */
  needsServer: boolean;
}

/**
 * Returns the Cypher expression for one property value (see the table above), noting in `notes` what needs the
 * server. @throws EngineError on a type with no Cypher form.
 */
export function writeValue(value: unknown, notes?: WriteNotes): string {
  switch (typeof value) {
    case "string":
      return writeString(value);
    case "bigint":
      return value.toString();
    case "number":
      return writeFloat(value, notes);
    case "boolean":
      return value ? "true" : "false";
    default:
      break;
  }
  if (value === null || value === undefined) return "null";
  if (value instanceof Int8Array || value instanceof Uint8Array) {
    if (notes) notes.needsServer = true;
    return writeBytes(value);
  }
  if (Array.isArray(value)) return writeList(value, notes);
  if (neo4j.isInt(value)) return value.toString();
  if (neo4j.isDate(value)) return `date('${isoDate(value)}')`;
  if (neo4j.isLocalTime(value)) return `localtime('${isoTime(value)}')`;
  if (neo4j.isTime(value)) return `time('${isoTime(value)}${writeOffset(Number(value.timeZoneOffsetSeconds), notes)}')`;
  if (neo4j.isLocalDateTime(value)) return `localdatetime('${isoDate(value)}T${isoTime(value)}')`;
  if (neo4j.isDateTime(value)) return `datetime('${isoDateTime(value, notes)}')`;
  if (neo4j.isDuration(value)) {
    const d = value as { months: unknown; days: unknown; seconds: unknown; nanoseconds: unknown };
    return `duration({months: ${String(d.months)}, days: ${String(d.days)}, seconds: ${String(d.seconds)}, nanoseconds: ${String(d.nanoseconds)}})`;
  }
  if (neo4j.isPoint(value)) {
    const z = value.z === undefined ? "" : `, z: ${writeFloat(value.z, notes)}`;
    return `point({srid: ${String(value.srid)}, x: ${writeFloat(value.x, notes)}, y: ${writeFloat(value.y, notes)}${z}})`;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return writeMap(value as Record<string, unknown>, notes);
  }
  throw new EngineError(`Neo4j returned a property value of an unsupported type (${describe(value)}).`, {
    hint: "Use --neo4j-method dump for this database, or report the type.",
  });
}

/** `{key: value, …}` with every key escaped by {@link writeName}. */
export function writeMap(map: Record<string, unknown>, notes?: WriteNotes): string {
  let out = "{";
  let first = true;
  for (const k in map) {
    if (!Object.hasOwn(map, k)) continue;
    out += `${first ? "" : ", "}${writeKey(k, notes)}: ${writeValue(map[k], notes)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * `[…]` of {@link writeValue}s separated by commas; a list of plain floats (an embedding) is written by one
 * native `JSON.stringify`, whose text is that list's Cypher literal.
 */
export function writeList(list: readonly unknown[], notes?: WriteNotes): string {
  if (list.length > 0 && isPlainFloatList(list)) return JSON.stringify(list);
  let out = "[";
  for (let i = 0; i < list.length; i++) out += (i === 0 ? "" : ",") + writeValue(list[i], notes);
  return `${out}]`;
}

/** A label, type or property key between backticks (backticks inside doubled). Always quoted: safe for keywords. */
export function writeName(name: string): string {
  return name.includes("`") ? "`" + name.replaceAll("`", "``") + "`" : "`" + name + "`";
}

/** A single-quoted Cypher string literal. */
export function writeString(s: string): string {
  return NEEDS_ESCAPE_RE.test(s) ? "'" + s.replace(ESCAPE_RE, escapeChar) + "'" : "'" + s + "'";
}

/** A FLOAT literal that never reads back as an INTEGER, exact for every double. */
export function writeFloat(x: number, notes?: WriteNotes): string {
  if (!Number.isFinite(x)) {
    if (notes) notes.needsServer = true;
    return Number.isNaN(x) ? "toFloat('NaN')" : x > 0 ? "toFloat('Infinity')" : "toFloat('-Infinity')";
  }
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const abs = x < 0 ? -x : x;
  if (abs >= 1e-6 && abs < 1e21) return Number.isInteger(x) ? `${x}.0` : String(x); // never an exponent here
  const s = String(x);
  if (s.includes("e")) {
    const [mantissa = "", exponent = ""] = s.split("e");
    return `${mantissa.includes(".") ? mantissa : `${mantissa}.0`}e${exponent.replace("+", "")}`;
  }
  return s.includes(".") ? s : `${s}.0`;
}

/** ISO `HH:MM:SS.nnnnnnnnn` of anything with hour/minute/second/nanosecond. */
export function isoTime(t: { hour: unknown; minute: unknown; second: unknown; nanosecond: unknown }): string {
  return `${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}.${pad(t.nanosecond, 9)}`;
}

/** ISO `YYYY-MM-DD`; years outside 0000–9999 get a sign, as Neo4j writes them. */
export function isoDate(d: { year: unknown; month: unknown; day: unknown }): string {
  const y = Number(d.year);
  const year = y >= 0 && y <= 9999 ? pad(y, 4) : `${y < 0 ? "-" : "+"}${pad(Math.abs(y), 4)}`;
  return `${year}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

/** `+HH:MM` or `+HH:MM:SS`. */
export function isoOffset(seconds: number): string {
  const sign = seconds < 0 ? "-" : "+";
  const abs = Math.abs(seconds);
  const s = abs % 60;
  return `${sign}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor(abs / 60) % 60, 2)}${s ? `:${pad(s, 2)}` : ""}`;
}

/** A property key as {@link writeName} writes it, noting a key that {@link WriteNotes | needs the server}. */
export function writeKey(name: string, notes: WriteNotes | undefined): string {
  const known = keys.get(name);
  if (known !== undefined) return known;
  const written = writeName(name);
  if (KEY_NEEDS_SERVER_RE.test(name)) {
    if (notes) notes.needsServer = true;
  } else if (keys.size < 10_000) {
    keys.set(name, written);
  }
  return written;
}

/**
 * True when every element is a finite FLOAT whose shortest decimal form has a fraction and no exponent
 * (|x| in [1e-6, 1e21), not integral): `JSON.stringify` then writes exactly what {@link writeFloat} would.
 */
export function isPlainFloatList(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== "number") return false;
    const abs = x < 0 ? -x : x;
    if (!(abs >= 1e-6 && abs < 1e21) || Number.isInteger(x)) return false;
  }
  return true;
}

// --- internal ---

/** Written map keys, most maps having the same few. */
const keys = new Map<string, string>();
const KEY_NEEDS_SERVER_RE = /[`\n\r]/;

/** {@link isoOffset}, noting an offset with seconds. */
function writeOffset(seconds: number, notes: WriteNotes | undefined): string {
  if (notes && seconds % 60 !== 0) notes.needsServer = true;
  return isoOffset(seconds);
}

const ESCAPE_RE = /[\\'\u0000-\u001f\u007f\u2028\u2029]/g; // eslint-disable-line no-control-regex
const NEEDS_ESCAPE_RE = /[\\'\u0000-\u001f\u007f\u2028\u2029]/; // eslint-disable-line no-control-regex

function escapeChar(c: string): string {
  switch (c) {
    case "\\":
      return "\\\\";
    case "'":
      return "\\'";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
}

function writeBytes(bytes: Int8Array | Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  return `apoc.util.compress(${writeString(latin1).replace(HIGH_RE, escapeHigh)}, {compression: 'NONE', charset: 'ISO-8859-1'})`;
}

// Bytes 0x80–0xFF are written as \u escapes so that the script stays ASCII for them, whatever a client's encoding.
const HIGH_RE = /[\u0080-\u00ff]/g;
function escapeHigh(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

function isoDateTime(v: {
  year: unknown; month: unknown; day: unknown; hour: unknown; minute: unknown; second: unknown; nanosecond: unknown;
  timeZoneOffsetSeconds?: unknown; timeZoneId?: string | null;
}, notes: WriteNotes | undefined): string {
  const base = `${isoDate(v)}T${isoTime(v)}`;
  const offset = v.timeZoneOffsetSeconds === undefined || v.timeZoneOffsetSeconds === null ? "" : writeOffset(Number(v.timeZoneOffsetSeconds), notes);
  if (!v.timeZoneId) return base + offset;
  if (notes && offset !== "" && !notes.needsServer && nearOffsetChange(base, offset, v.timeZoneId)) notes.needsServer = true;
  return `${base}${offset}[${v.timeZoneId}]`;
}

function pad(n: unknown, width: number): string {
  return String(n).padStart(width, "0");
}

function describe(value: unknown): string {
  if (value === null || typeof value !== "object") return typeof value;
  return (value as object).constructor?.name ?? "object";
}
