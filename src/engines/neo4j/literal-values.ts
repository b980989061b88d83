/**
 * Builds driver values from the arguments of Cypher's value functions (`date('…')`, `duration({…})`,
 * `point({…})` …) as written by `literal-writer.ts` or by APOC's export. Throws {@link NotALiteral}-like
 * errors (plain `Error`s caught by the parser's caller) for forms it does not know.
 */
import neo4j from "neo4j-driver";

/** Parses the ISO string argument of `date`, `localtime`, `time`, `localdatetime` or `datetime`. */
export function parseTemporal(kind: string, text: string): unknown {
  const s = text.trim();
  switch (kind) {
    case "date": {
      const d = DATE_RE.exec(s);
      if (d) return new neo4j.types.Date(num(d[1]), num(d[2]), num(d[3]));
      break;
    }
    case "localtime": {
      const t = TIME_RE.exec(s);
      if (t && !t[5]) return new neo4j.types.LocalTime(num(t[1]), num(t[2]), num(t[3]), nanos(t[4]));
      break;
    }
    case "time": {
      const t = TIME_RE.exec(s);
      if (t && t[5]) return new neo4j.types.Time(num(t[1]), num(t[2]), num(t[3]), nanos(t[4]), offsetSeconds(t[5]));
      break;
    }
    case "localdatetime": {
      const m = DATETIME_RE.exec(s);
      if (m && !m[8] && !m[9]) return new neo4j.types.LocalDateTime(num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), nanos(m[7]));
      break;
    }
    case "datetime": {
      const m = DATETIME_RE.exec(s);
      if (m && (m[8] || m[9])) {
        const offset = m[8] ? offsetSeconds(m[8]) : undefined;
        return new neo4j.types.DateTime(num(m[1]), num(m[2]), num(m[3]), num(m[4]), num(m[5]), num(m[6]), nanos(m[7]), offset, m[9] ?? null);
      }
      break;
    }
    default:
      break;
  }
  throw new Error(`not a ${kind} literal: ${s}`);
}

/** `duration({months, days, seconds, nanoseconds, …})` (integral units) or `duration('P…')`. */
export function parseDuration(arg: unknown): unknown {
  if (typeof arg === "string") return isoDuration(arg.trim());
  if (!arg || typeof arg !== "object") throw new Error("not a duration literal");
  let months = 0n, days = 0n, nanos = 0n;
  for (const [key, value] of Object.entries(arg)) {
    if (typeof value !== "bigint") throw new Error("duration units must be integers");
    const unit = DURATION_UNITS[key];
    if (!unit) throw new Error(`unknown duration unit ${key}`);
    if (unit[0] === "m") months += value * unit[1];
    else if (unit[0] === "d") days += value * unit[1];
    else nanos += value * unit[1];
  }
  return makeDuration(months, days, nanos);
}

/** `point({srid|crs, x, y[, z]})` or `point({longitude, latitude[, height][, crs]})`. */
export function parsePoint(arg: unknown): unknown {
  if (!arg || typeof arg !== "object") throw new Error("not a point literal");
  const m = arg as Record<string, unknown>;
  const geo = m.longitude !== undefined;
  const x = float(geo ? m.longitude : m.x);
  const y = float(geo ? m.latitude : m.y);
  const zRaw = geo ? m.height : m.z;
  const z = zRaw === undefined ? undefined : float(zRaw);
  let srid: number;
  if (typeof m.srid === "bigint") srid = Number(m.srid);
  else if (typeof m.crs === "string") {
    const known = CRS[m.crs.toLowerCase()];
    if (known === undefined) throw new Error(`unknown crs ${m.crs}`);
    srid = known;
  } else if (geo) srid = z === undefined ? 4326 : 4979;
  else srid = z === undefined ? 7203 : 9157;
  return z === undefined ? new neo4j.types.Point(srid, x, y) : new neo4j.types.Point(srid, x, y, z);
}

// --- internal ---

const DATE_RE = /^([+-]?\d{4,})-(\d{2})-(\d{2})$/;
const TIME_PART = "(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?";
const OFFSET_PART = "(Z|[+-]\\d{2}(?::?\\d{2}(?::?\\d{2})?)?)";
const TIME_RE = new RegExp(`^${TIME_PART}${OFFSET_PART}?$`);
const DATETIME_RE = new RegExp(`^([+-]?\\d{4,})-(\\d{2})-(\\d{2})T${TIME_PART}${OFFSET_PART}?(?:\\[([^\\]]+)\\])?$`);
const ISO_DURATION_RE =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)W)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,9}))?S)?)?$/;

const NS = 1_000_000_000n;
const DURATION_UNITS: Record<string, ["m" | "d" | "n", bigint]> = {
  years: ["m", 12n], quarters: ["m", 3n], months: ["m", 1n], weeks: ["d", 7n], days: ["d", 1n],
  hours: ["n", 3600n * NS], minutes: ["n", 60n * NS], seconds: ["n", NS],
  milliseconds: ["n", 1_000_000n], microseconds: ["n", 1_000n], nanoseconds: ["n", 1n],
};

const CRS: Record<string, number> = { cartesian: 7203, "cartesian-3d": 9157, "wgs-84": 4326, "wgs-84-3d": 4979 };

function isoDuration(s: string): unknown {
  const m = ISO_DURATION_RE.exec(s);
  if (!m || s === "P" || s.endsWith("T")) throw new Error(`not an ISO duration: ${s}`);
  const b = (v: string | undefined): bigint => (v ? BigInt(v) : 0n);
  const months = b(m[1]) * 12n + b(m[2]);
  const days = b(m[3]) * 7n + b(m[4]);
  const secondsNs = b(m[8]) * NS + BigInt((m[9] ?? "").padEnd(9, "0") || "0");
  const nanos = b(m[5]) * 3600n * NS + b(m[6]) * 60n * NS + (m[7] === "-" ? -secondsNs : secondsNs);
  return makeDuration(months, days, nanos);
}

function makeDuration(months: bigint, days: bigint, totalNanos: bigint): unknown {
  let seconds = totalNanos / NS;
  let nanos = totalNanos % NS;
  if (nanos < 0n) {
    nanos += NS;
    seconds -= 1n;
  }
  return new neo4j.types.Duration(neo4j.int(months.toString()), neo4j.int(days.toString()), neo4j.int(seconds.toString()), neo4j.int(nanos.toString()));
}

function num(s: string | undefined): number {
  return s === undefined ? 0 : Number(s);
}

function nanos(fraction: string | undefined): number {
  return fraction ? Number(fraction.padEnd(9, "0")) : 0;
}

function offsetSeconds(text: string): number {
  if (text === "Z") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replaceAll(":", "");
  const h = Number(digits.slice(0, 2));
  const m = Number(digits.slice(2, 4) || "0");
  const s = Number(digits.slice(4, 6) || "0");
  return sign * (h * 3600 + m * 60 + s);
}

function float(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  throw new Error("point coordinates must be numbers");
}
