/**
 * Canonical, exactly comparable forms of Neo4j values for tests: every driver type becomes a tagged plain
 * value, floats keep NaN and the sign of zero (as strings), integers become decimal strings.
 */
import neo4j from "neo4j-driver";

/** A JSON-comparable form that tells apart every value Neo4j can store. */
export function canonical(value: unknown): unknown {
  if (typeof value === "bigint") return `int:${value}`;
  if (typeof value === "number") return `float:${Object.is(value, -0) ? "-0" : String(value)}`;
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (value instanceof Int8Array || value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString("hex")}`;
  if (Array.isArray(value)) return value.map(canonical);
  if (neo4j.isInt(value)) return `int:${value.toString()}`;
  if (neo4j.isPoint(value)) return { point: [Number(value.srid), canonical(value.x), canonical(value.y), value.z === undefined ? null : canonical(value.z)] };
  if (neo4j.isDuration(value)) return { duration: [value.months, value.days, value.seconds, value.nanoseconds].map((v) => String(v)) };
  if (neo4j.isDateTime(value)) {
    const v = value as unknown as Record<string, unknown>;
    return { datetime: [v.year, v.month, v.day, v.hour, v.minute, v.second, v.nanosecond, v.timeZoneOffsetSeconds ?? null].map((x) => (x === null ? null : Number(x))), zone: v.timeZoneId ?? null };
  }
  for (const [kind, is] of [["date", neo4j.isDate], ["localtime", neo4j.isLocalTime], ["time", neo4j.isTime], ["localdatetime", neo4j.isLocalDateTime]] as const) {
    if (is(value)) return { [kind]: value.toString() };
  }
  if (typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = canonical((value as Record<string, unknown>)[key]);
    return out;
  }
  throw new Error(`canonical: unsupported ${typeof value}`);
}
