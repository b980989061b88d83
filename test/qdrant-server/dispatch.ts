/**
 * Handling of one request by the Qdrant test server, in Qdrant's order: API key check (except `/`, `/healthz`,
 * `/readyz`, `/livez`; 401 in plain text), routing by the OpenAPI `operationId` (unknown path or method: 404,
 * empty body), request validation against the OpenAPI file (a violation is recorded and refused with 400/422
 * like Qdrant), the handler, then validation of every JSON response (a violation is recorded and the response
 * becomes a 500 naming it, so the client's test fails).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { QdrantHttpError, errorReply, qdrantErrors, readBody, sendJson, sendText } from "./http.ts";
import type { RouteContext, RouteHandler } from "./http.ts";
import type { MatchedOperation, OpenApiContract, Violation } from "./openapi.ts";

/** What the dispatcher needs. */
export interface DispatchOptions {
  contract: OpenApiContract;
  handlers: Record<string, RouteHandler>;
  /** When set, every request but the health ones must carry it (`api-key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** Receives every violation found, in order. */
  violations: Violation[];
  baseUrl: () => string;
  log: (line: string) => void;
}

/** Builds the request listener. */
export function createDispatcher(options: DispatchOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { contract, handlers, violations, log } = options;
  const record = (violation: Violation): void => {
    violations.push(violation);
    log(`VIOLATION ${violation.rule}: ${violation.details.join("; ")}`);
  };

  return async (req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    res.on("finish", () => log(`${method} ${url.pathname}${url.search ? "?…" : ""} ${res.statusCode} ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(1)} ms`));
    try {
      const denied = authError(options.apiKey, req, url.pathname);
      if (denied) return sendText(res, 401, denied);
      const op = contract.match(method, url.pathname);
      const handler = op ? handlers[op.operationId] : undefined;
      if (!op) {
        res.writeHead(404, { "content-length": 0 });
        res.end();
        return;
      }
      const reply = async (status: number, body: unknown): Promise<void> => {
        const violation = contract.validateResponse(op, status, "application/json", body);
        if (!violation) return sendJson(res, status, body);
        record(violation);
        const fallback = errorReply(500, `Qdrant test server: its response violates the OpenAPI file: ${violation.rule}: ${violation.details.join("; ")}`, started);
        sendJson(res, fallback.status, fallback.body);
      };
      try {
        const body = await requestBody(req, op, url.searchParams, contract, record);
        if (!handler) throw new QdrantHttpError(501, `Service internal error: the Qdrant test server does not implement ${op.operationId}`);
        const ctx: RouteContext = { op, query: url.searchParams, body, req, res, started, baseUrl: options.baseUrl() };
        const result = await handler(ctx);
        if ("handled" in result) return;
        await reply(result.status, result.body);
      } catch (err) {
        if (res.headersSent) throw err;
        const failure = err instanceof QdrantHttpError ? err : new QdrantHttpError(500, `Service internal error: ${(err as Error).message}`);
        if (failure.status === 500) log(`ERROR ${method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
        const { status, body } = errorReply(failure.status, failure.message, started);
        await reply(status, body);
      }
    } catch (err) {
      log(`ERROR ${method} ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
      res.destroy(err as Error);
    }
  };
}

// --- internal ---

/** Paths Qdrant answers without an API key. */
function whitelisted(pathname: string): boolean {
  return pathname === "/" || pathname === "/healthz" || pathname.startsWith("/readyz") || pathname.startsWith("/livez");
}

/** Qdrant's refusal text, or undefined when the request may pass. */
function authError(apiKey: string | undefined, req: IncomingMessage, pathname: string): string | undefined {
  if (!apiKey || whitelisted(pathname)) return undefined;
  const header = req.headers["api-key"];
  const bearer = req.headers.authorization?.startsWith("Bearer ") ? req.headers.authorization.slice(7) : undefined;
  const given = (Array.isArray(header) ? header[0] : header) ?? bearer;
  if (given === undefined) return "Must provide an API key or an Authorization bearer token";
  return given === apiKey ? undefined : "Invalid API key or JWT";
}

/**
 * Reads and validates the request. JSON bodies are parsed (Qdrant's 400 when they are not JSON); multipart
 * bodies stay unread in `req` for the handler. A violation of the OpenAPI file is recorded and refused.
 */
async function requestBody(req: IncomingMessage, op: MatchedOperation, query: URLSearchParams, contract: OpenApiContract, record: (v: Violation) => void): Promise<unknown> {
  const contentType = req.headers["content-type"];
  const multipart = /^multipart\//i.test(contentType ?? "");
  let body: unknown;
  if (!multipart) {
    const raw = await readBody(req);
    if (raw !== undefined) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (err) {
        throw new QdrantHttpError(400, `Json deserialize error: ${(err as Error).message}`);
      }
    }
  }
  const violation = contract.validateRequest(op, query, contentType, multipart ? "(multipart body)" : body);
  if (!violation) return body;
  record(violation);
  const details = violation.details.join("; ");
  if (violation.details.every((d) => d.startsWith("query parameter") || d.startsWith("path parameter"))) {
    throw qdrantErrors.validation(violation.details.some((d) => d.startsWith("path")) ? "path parameters" : "query parameters", details);
  }
  if (violation.details.some((d) => d.startsWith("content type"))) throw new QdrantHttpError(400, `Content type error: ${details}`);
  throw new QdrantHttpError(400, `Json deserialize error: ${details}`);
}
