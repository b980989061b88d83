/**
 * Service and collection endpoints of the Qdrant test server: `GET /`, health checks, collections
 * list/get/create/delete/exists and payload indexes. Handlers are keyed by the OpenAPI `operationId`.
 */
import { buildConfig } from "./config.ts";
import type { CollectionMeta, PayloadIndexSpec } from "./config.ts";
import { ok, qdrantErrors, sendText, waitParam } from "./http.ts";
import type { Reply, RouteContext, RouteHandler } from "./http.ts";
import type { Store } from "./store.ts";

/** Shared state the routes work on. */
export interface ServerState {
  store: Store;
  /** Version reported by `GET /` and written into snapshots. */
  version: string;
  commit: string;
  /** Runs work Qdrant does after answering 202 (`wait=false`); failures are logged, `close()` waits for it. */
  background(what: string, task: () => Promise<unknown>): void;
}

/** Qdrant's collection-name rule (validated like its path parameters: 422). */
export function checkCollectionName(name: string): void {
  if (name.length === 0 || name.length > 255 || /[<>:"/\\|?*\0]/.test(name) || name === "." || name === "..") {
    throw qdrantErrors.validation("path parameters", `[name]: collection name ${JSON.stringify(name)} is not allowed`);
  }
}

/** Handlers of the service and collection operations, by `operationId`. */
export function collectionRoutes(state: ServerState): Record<string, RouteHandler> {
  const { store } = state;
  return {
    // Qdrant answers `GET /` without the usual envelope.
    root: async () => ({ status: 200, body: { title: "qdrant - vector search engine", version: state.version, commit: state.commit } }),

    healthz: async (ctx) => healthy(ctx),
    livez: async (ctx) => healthy(ctx),
    readyz: async (ctx) => healthy(ctx),

    get_collections: async (ctx) => ok(ctx, { collections: store.names().map((name) => ({ name })) }),

    collection_exists: async (ctx) => ok(ctx, { exists: store.find(name(ctx)) !== undefined }),

    get_collection: async (ctx) => {
      const collection = store.get(name(ctx));
      const fields = Object.keys(collection.meta.payload_schema);
      const counts = await collection.valueCounts(fields);
      const payloadSchema: Record<string, unknown> = {};
      for (const [field, spec] of Object.entries(collection.meta.payload_schema)) payloadSchema[field] = { ...spec, points: counts[field] ?? 0 };
      return ok(ctx, {
        status: "green",
        optimizer_status: "ok",
        indexed_vectors_count: 0,
        points_count: await collection.count(),
        segments_count: 1,
        config: collection.meta.config,
        payload_schema: payloadSchema,
      });
    },

    create_collection: async (ctx) => {
      const collectionName = name(ctx);
      checkCollectionName(collectionName);
      if (store.find(collectionName)) throw qdrantErrors.collectionExists(collectionName);
      const meta: CollectionMeta = { config: buildConfig((ctx.body ?? {}) as Record<string, unknown>), payload_schema: {} };
      await store.create(collectionName, meta);
      return ok(ctx, true);
    },

    delete_collection: async (ctx) => ok(ctx, await store.delete(name(ctx))),

    create_field_index: async (ctx) => {
      const collection = store.get(name(ctx));
      const body = (ctx.body ?? {}) as { field_name?: string; field_schema?: unknown };
      if (!body.field_name) throw qdrantErrors.badInput("field_name is required");
      const schema = body.field_schema;
      if (schema === undefined || schema === null) {
        throw qdrantErrors.badInput(`Can't auto-detect field type for ${body.field_name}, please specify field_schema`);
      }
      const spec: PayloadIndexSpec =
        typeof schema === "string" ? { data_type: schema } : { data_type: String((schema as { type: string }).type), params: schema as Record<string, unknown> };
      const field = body.field_name;
      const operation = await collection.exclusive(async () => {
        await collection.saveMeta({ ...collection.meta, payload_schema: { ...collection.meta.payload_schema, [field]: spec } });
        return collection.nextOperation();
      });
      return ok(ctx, { operation_id: operation, status: waitParam(ctx.query) ? "completed" : "acknowledged" });
    },

    delete_field_index: async (ctx) => {
      const collection = store.get(name(ctx));
      const field = ctx.op.params.field_name ?? "";
      const operation = await collection.exclusive(async () => {
        const rest = { ...collection.meta.payload_schema };
        delete rest[field];
        await collection.saveMeta({ ...collection.meta, payload_schema: rest });
        return collection.nextOperation();
      });
      return ok(ctx, { operation_id: operation, status: waitParam(ctx.query) ? "completed" : "acknowledged" });
    },
  };
}

/** Qdrant's health answer: plain text, not JSON. */
function healthy(ctx: RouteContext): Reply {
  sendText(ctx.res, 200, "healthz check passed");
  return { handled: true };
}

/** The `{collection_name}` path parameter. */
export function name(ctx: RouteContext): string {
  return ctx.op.params.collection_name ?? "";
}
