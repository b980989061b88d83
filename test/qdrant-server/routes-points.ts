/**
 * Point endpoints of the Qdrant test server: upsert (list and batch forms, named and unnamed vectors),
 * retrieve by ids, get one, scroll (Qdrant's id order, `next_page_offset`), exact count and delete.
 */
import { toStoredVector, vectorSpecs } from "./config.ts";
import type { VectorSpec } from "./config.ts";
import { ok, qdrantErrors, waitParam } from "./http.ts";
import type { RouteContext, RouteHandler } from "./http.ts";
import { normalizeId, payloadSelector, renderRecord } from "./points.ts";
import type { PointId, StoredPoint } from "./points.ts";
import { name } from "./routes-collections.ts";
import type { ServerState } from "./routes-collections.ts";

/** Handlers of the point operations, by `operationId`. */
export function pointRoutes(state: ServerState): Record<string, RouteHandler> {
  const { store } = state;
  return {
    upsert_points: async (ctx) => {
      const collection = store.get(name(ctx));
      const points = pointsOf(ctx.body, vectorSpecs(collection.meta.config));
      const operation = await collection.exclusive(() => collection.upsert(points));
      return updated(ctx, operation);
    },

    delete_points: async (ctx) => {
      const collection = store.get(name(ctx));
      const body = (ctx.body ?? {}) as { points?: unknown[]; filter?: unknown };
      const operation = await collection.exclusive(async () => {
        let ids: PointId[];
        if (body.points) ids = body.points.map(normalizeId);
        else {
          ids = [];
          for await (const p of collection.ordered(undefined, body.filter ?? {})) ids.push(p.id);
        }
        return collection.deletePoints(ids);
      });
      return updated(ctx, operation);
    },

    get_points: async (ctx) => {
      const collection = store.get(name(ctx));
      const body = (ctx.body ?? {}) as { ids?: unknown[]; with_payload?: unknown; with_vector?: unknown };
      const select = payloadSelector(body.with_payload, true);
      const found: unknown[] = [];
      const seen = new Set<PointId>();
      for (const raw of body.ids ?? []) {
        const id = normalizeId(raw);
        const point = await collection.get(id);
        if (point && !seen.has(id)) found.push(renderRecord(point, select, body.with_vector));
        seen.add(id);
      }
      return ok(ctx, found);
    },

    get_point: async (ctx) => {
      const collection = store.get(name(ctx));
      const raw = ctx.op.params.id ?? "";
      const id = normalizeId(/^\d+$/.test(raw) ? Number(raw) : raw);
      const point = await collection.get(id);
      if (!point) throw qdrantErrors.pointMissing(id);
      return ok(ctx, renderRecord(point, payloadSelector(true, true), true));
    },

    scroll_points: async (ctx) => {
      const collection = store.get(name(ctx));
      const body = (ctx.body ?? {}) as { offset?: unknown; limit?: number | null; filter?: unknown; with_payload?: unknown; with_vector?: unknown; order_by?: unknown };
      if (body.order_by !== undefined && body.order_by !== null) throw qdrantErrors.badRequest("the Qdrant test server does not support order_by");
      const limit = body.limit ?? 10;
      const offset = body.offset === undefined || body.offset === null ? undefined : normalizeId(body.offset);
      const select = payloadSelector(body.with_payload, true);
      const points: unknown[] = [];
      let next: PointId | null = null;
      for await (const point of collection.ordered(offset, body.filter)) {
        if (points.length === limit) {
          next = point.id;
          break;
        }
        points.push(renderRecord(point, select, body.with_vector));
      }
      return ok(ctx, { points, next_page_offset: next });
    },

    count_points: async (ctx) => {
      const collection = store.get(name(ctx));
      const body = (ctx.body ?? {}) as { filter?: unknown };
      return ok(ctx, { count: await collection.count(body.filter) });
    },
  };
}

// --- internal ---

function updated(ctx: RouteContext, operation: number) {
  return ok(ctx, { operation_id: operation, status: waitParam(ctx.query) ? "completed" : "acknowledged" });
}

/** Reads `PointInsertOperations` (`{points: [...]}` or `{batch: {ids, vectors, payloads}}`) into stored points. */
function pointsOf(body: unknown, specs: VectorSpec[]): StoredPoint[] {
  const b = (body ?? {}) as { points?: { id: unknown; vector: unknown; payload?: unknown }[]; batch?: { ids: unknown[]; vectors: unknown; payloads?: unknown[] | null } };
  if (b.points) return b.points.map((p) => makePoint(specs, p.id, vectorsOf(p.vector), p.payload));
  if (!b.batch) throw qdrantErrors.badRequest("expected `points` or `batch`");
  const { ids, vectors, payloads } = b.batch;
  const perName: [string, unknown[]][] = Array.isArray(vectors) ? [["", vectors]] : Object.entries(vectors as Record<string, unknown[]>);
  for (const [vectorName, list] of perName) {
    if (list.length !== ids.length) throw qdrantErrors.badInput(`number of vectors for ${JSON.stringify(vectorName)} (${list.length}) differs from number of ids (${ids.length})`);
  }
  return ids.map((id, i) => makePoint(specs, id, new Map(perName.map(([n, list]) => [n, list[i]])), payloads?.[i]));
}

function vectorsOf(raw: unknown): Map<string, unknown> {
  if (Array.isArray(raw)) return new Map([["", raw]]);
  if (raw !== null && typeof raw === "object") return new Map(Object.entries(raw));
  throw qdrantErrors.badRequest("the Qdrant test server supports dense vectors only");
}

function makePoint(specs: VectorSpec[], rawId: unknown, raw: Map<string, unknown>, payload: unknown): StoredPoint {
  const vectors = new Map<string, Float32Array>();
  for (const [vectorName, values] of raw) vectors.set(vectorName, toStoredVector(specs, vectorName, values));
  return { id: normalizeId(rawId), payload: (payload ?? {}) as Record<string, unknown>, vectors };
}
