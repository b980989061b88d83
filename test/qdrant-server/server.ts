/**
 * The Qdrant-compatible test server, usable in-process by tests and started by `main.ts` for the test
 * services. It serves the collection, point and snapshot endpoints stackvault and its tests use, with Qdrant
 * 1.19's envelopes and errors, and checks every request and JSON response against Qdrant's OpenAPI file:
 * what does not match is recorded in {@link QdrantTestServer.violations}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createDispatcher } from "./dispatch.ts";
import { loadOpenApi } from "./openapi.ts";
import type { OpenApiContract, Violation } from "./openapi.ts";
import { collectionRoutes } from "./routes-collections.ts";
import type { ServerState } from "./routes-collections.ts";
import { pointRoutes } from "./routes-points.ts";
import { snapshotRoutes } from "./routes-snapshots.ts";
import { Store } from "./store.ts";

export type { Violation } from "./openapi.ts";

/** How to start a server. */
export interface QdrantTestServerOptions {
  /** Address to listen on, e.g. `127.0.0.1`. */
  host: string;
  /** Port; 0 picks a free one (see {@link QdrantTestServer.url}). */
  port: number;
  /** Data folder (created when missing); a restart on the same folder finds the same collections and snapshots. */
  dataDir: string;
  /** When set, requests must carry it in `api-key` (or `Authorization: Bearer`), as with Qdrant's `api_key`. */
  apiKey?: string;
  /** Version reported by `GET /` and written into snapshots. @default "1.19.0" */
  version?: string;
  /** One line per request, violation and internal error. @default no logging */
  log?: (line: string) => void;
  /** Serve HTTPS with this key and certificate (PEM) instead of HTTP. @default plain HTTP */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** OpenAPI file to check traffic against. @default the project's reference `qdrant-openapi-v1.19.json` */
  openApiFile?: string;
}

/** A running server. */
export interface QdrantTestServer {
  /** Base URL, `http://host:port` (`https://` with {@link QdrantTestServerOptions.tls}). */
  url: string;
  /** Every request or response found not to match the OpenAPI file, in order (a live array). */
  violations: Violation[];
  /** Stops listening, waits for background work (`wait=false`) and closes the connections. */
  close(): Promise<void>;
}

/** Default OpenAPI file: Qdrant 1.19's description, kept next to the project's design notes. */
export const DEFAULT_OPENAPI_FILE = fileURLToPath(new URL("../fixtures/qdrant-openapi-v1.19.json", import.meta.url));

/** Starts a server; resolves once it listens. */
export async function startQdrantTestServer(options: QdrantTestServerOptions): Promise<QdrantTestServer> {
  const log = options.log ?? (() => undefined);
  const store = await Store.open(options.dataDir);
  const pending = new Set<Promise<unknown>>();
  const state: ServerState = {
    store,
    version: options.version ?? "1.19.0",
    commit: "0000000000000000000000000000000000000000",
    background(what, task) {
      const run = task()
        .catch((err: unknown) => log(`ERROR background ${what}: ${(err as Error).message}`))
        .finally(() => pending.delete(run));
      pending.add(run);
    },
  };
  const violations: Violation[] = [];
  let url = "";
  const listener = createDispatcher({
    contract: contractFor(options.openApiFile ?? DEFAULT_OPENAPI_FILE),
    handlers: { ...collectionRoutes(state), ...pointRoutes(state), ...snapshotRoutes(state) },
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    violations,
    baseUrl: () => url,
    log,
  });
  const handle = (req: IncomingMessage, res: ServerResponse): void => void listener(req, res);
  const server = options.tls ? createHttpsServer({ ...options.tls, keepAliveTimeout: 5_000 }, handle) : createServer({ keepAliveTimeout: 5_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  url = `${options.tls ? "https" : "http"}://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  return {
    url,
    violations,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.allSettled([...pending]);
      const force = setTimeout(() => server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(force);
    },
  };
}

// --- internal ---

const contracts = new Map<string, OpenApiContract>();

/** One contract per file and process: compiling the schemas is the slow part of a start. */
function contractFor(file: string): OpenApiContract {
  let contract = contracts.get(file);
  if (!contract) {
    contract = loadOpenApi(file);
    contracts.set(file, contract);
  }
  return contract;
}
