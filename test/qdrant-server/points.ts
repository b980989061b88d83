/**
 * Points as the Qdrant test server keeps them: ids (unsigned integers or UUIDs, ordered like Qdrant orders
 * them: integers first, then UUIDs), payload JSON and dense Float32 vectors by name (`""` for the unnamed
 * vector). Also renders records the way Qdrant's REST API does (shortest float text, `payload`/`vector` null
 * when not asked for) and evaluates the filter subset the server supports.
 */
import { qdrantErrors } from "./http.ts";

export type PointId = number | string;

/** One stored point. */
export interface StoredPoint {
  id: PointId;
  payload: Record<string, unknown>;
  /** Vector name (`""` when the collection has one unnamed vector) → values. */
  vectors: Map<string, Float32Array>;
}

/** Validates and normalises an id from a request (lower-case hyphenated UUIDs, like Qdrant). */
export function normalizeId(raw: unknown): PointId {
  if (typeof raw === "number" && Number.isSafeInteger(raw) && raw >= 0) return raw;
  if (typeof raw === "string") {
    const hex = raw.toLowerCase().replace(/-/g, "");
    if (/^[0-9a-f]{32}$/.test(hex)) {
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }
  }
  throw qdrantErrors.badRequest(`Unable to parse point id ${JSON.stringify(raw)}: expected an unsigned integer or a UUID`);
}

/** Qdrant's id order: every integer id before every UUID; integers numerically, UUIDs as 128-bit numbers. */
export function compareIds(a: PointId, b: PointId): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The shortest decimal that reads back as the same float32, as Qdrant (serde_json + ryu) prints f32. */
export function f32ToJsonNumber(value: number): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  for (let digits = 6; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) !== value) continue;
    if (digits > 6) return candidate;
    let best = candidate;
    for (let shorter = 5; shorter >= 1; shorter--) {
      const c = Number(value.toPrecision(shorter));
      if (Math.fround(c) !== value) break;
      best = c;
    }
    return best;
  }
  return value;
}

/** `with_payload` of a read request, resolved. */
export type PayloadSelector = (payload: Record<string, unknown>) => Record<string, unknown> | null;

/** Reads `with_payload` (true | false | [keys] | {include} | {exclude}); `dflt` applies when absent or null. */
export function payloadSelector(raw: unknown, dflt: boolean): PayloadSelector {
  if (raw === undefined || raw === null) return dflt ? (p) => p : () => null;
  if (raw === true) return (p) => p;
  if (raw === false) return () => null;
  const pick = (keys: string[], keep: boolean) => (p: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(p).filter(([k]) => keys.includes(k) === keep));
  if (Array.isArray(raw)) return pick(raw as string[], true);
  const sel = raw as { include?: string[]; exclude?: string[] };
  if (sel.include) return pick(sel.include, true);
  return pick(sel.exclude ?? [], false);
}

/** Renders one point as a Qdrant `Record`. `withVector` is true, false or the names to return. */
export function renderRecord(point: StoredPoint, selectPayload: PayloadSelector, withVector: unknown): Record<string, unknown> {
  return { id: point.id, payload: selectPayload(point.payload), vector: renderVectors(point, withVector) };
}

/** Evaluates a Qdrant `Filter` (must / should / must_not with match, range, has_id, is_empty, is_null, nested filters). */
export function matchesFilter(point: StoredPoint, filter: unknown): boolean {
  if (filter === undefined || filter === null) return true;
  const f = filter as { must?: unknown; should?: unknown; must_not?: unknown };
  const list = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  const must = list(f.must);
  const should = list(f.should);
  const mustNot = list(f.must_not);
  return (
    must.every((c) => matchesCondition(point, c)) &&
    (should.length === 0 || should.some((c) => matchesCondition(point, c))) &&
    !mustNot.some((c) => matchesCondition(point, c))
  );
}

// --- internal ---

function renderVectors(point: StoredPoint, withVector: unknown): unknown {
  if (withVector === undefined || withVector === null || withVector === false) return null;
  const names = Array.isArray(withVector) ? (withVector as string[]) : undefined;
  const unnamed = point.vectors.get("");
  if (unnamed && point.vectors.size === 1 && (!names || names.includes(""))) return Array.from(unnamed, f32ToJsonNumber);
  const out: Record<string, number[]> = {};
  for (const [name, values] of [...point.vectors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!names || names.includes(name)) out[name] = Array.from(values, f32ToJsonNumber);
  }
  return out;
}

function matchesCondition(point: StoredPoint, condition: unknown): boolean {
  const c = condition as Record<string, unknown>;
  if ("must" in c || "should" in c || "must_not" in c) return matchesFilter(point, c);
  if (Array.isArray(c.has_id)) return (c.has_id as unknown[]).some((id) => normalizeId(id) === point.id);
  if (c.is_empty) return isEmpty(valuesAt(point.payload, (c.is_empty as { key: string }).key));
  if (c.is_null) return valuesAt(point.payload, (c.is_null as { key: string }).key).some((v) => v === null);
  if (typeof c.key !== "string") throw qdrantErrors.badRequest("the Qdrant test server supports filters on key, has_id, is_empty and is_null only");
  const values = valuesAt(point.payload, c.key).flatMap((v) => (Array.isArray(v) ? v : [v]));
  if (c.match) {
    const m = c.match as { value?: unknown; any?: unknown[]; except?: unknown[] };
    if ("value" in m) return values.some((v) => v === m.value);
    if (m.any) return values.some((v) => m.any?.includes(v));
    if (m.except) return values.length > 0 && values.every((v) => !m.except?.includes(v));
  }
  if (c.range) {
    const r = c.range as { gt?: number; gte?: number; lt?: number; lte?: number };
    return values.some(
      (v) =>
        typeof v === "number" &&
        (r.gt === undefined || v > r.gt) &&
        (r.gte === undefined || v >= r.gte) &&
        (r.lt === undefined || v < r.lt) &&
        (r.lte === undefined || v <= r.lte),
    );
  }
  throw qdrantErrors.badRequest("the Qdrant test server supports match (value, any, except) and range conditions only");
}

function valuesAt(payload: Record<string, unknown>, key: string): unknown[] {
  let current: unknown[] = [payload];
  for (const part of key.split(".")) {
    const array = part.endsWith("[]");
    const name = array ? part.slice(0, -2) : part;
    current = current.flatMap((v) => {
      if (v === null || typeof v !== "object" || Array.isArray(v)) return [];
      const next = (v as Record<string, unknown>)[name];
      if (next === undefined) return [];
      return array && Array.isArray(next) ? next : [next];
    });
  }
  return current;
}

function isEmpty(values: unknown[]): boolean {
  return values.length === 0 || values.every((v) => v === null || (Array.isArray(v) && v.length === 0));
}
