/**
 * The OpenAPI contract of the Qdrant test server: finds the operation of a request in the reference file
 * (`qdrant-openapi-v1.19.json`) and validates query parameters, JSON bodies and JSON responses against its
 * schemas with Ajv. OpenAPI 3.0 schemas are first turned into JSON Schema (`nullable` becomes a `null` type,
 * `$ref` points into one registered copy of `components.schemas`). Compiled validators are cached per
 * operation, so the 500 kB file is parsed once per process.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction, type ErrorObject } from "ajv";

/** One operation of the reference file, matched from a concrete request. */
export interface MatchedOperation {
  operationId: string;
  /** Path template as written in the file, e.g. `/collections/{collection_name}`. */
  template: string;
  method: string;
  /** Decoded path parameters by name. */
  params: Record<string, string>;
}

/** What a validation found wrong, in words a test failure can show. */
export interface Violation {
  rule: string;
  details: string[];
}

/** Validates requests and responses against one OpenAPI 3.0 file. */
export interface OpenApiContract {
  /** Finds the operation for `method path`, or undefined when the file has no such path and method. */
  match(method: string, pathname: string): MatchedOperation | undefined;
  /** Checks query parameters (types, enums, required) and the body against the operation's request schema. */
  validateRequest(op: MatchedOperation, query: URLSearchParams, contentType: string | undefined, body: unknown): Violation | undefined;
  /** Checks that a JSON response (status, content type, body) is one the operation documents. */
  validateResponse(op: MatchedOperation, status: number, contentType: string, body: unknown): Violation | undefined;
}

/** Loads the OpenAPI file at `file` and prepares its validators. */
export function loadOpenApi(file: string): OpenApiContract {
  const spec = JSON.parse(readFileSync(file, "utf8")) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: false, formats: numericFormats() });
  for (const [name, test] of Object.entries(stringFormats)) ajv.addFormat(name, test);
  ajv.addSchema({ $id: DOC_ID, components: { schemas: convert(spec.components.schemas) } });
  const routes = Object.entries(spec.paths).map(([template, item]) => ({ template, item, ...compileTemplate(template) }));
  const cache = new Map<string, ValidateFunction>();

  const validatorFor = (key: string, schema: unknown): ValidateFunction => {
    let fn = cache.get(key);
    if (!fn) {
      fn = ajv.compile(convert(schema) as object);
      cache.set(key, fn);
    }
    return fn;
  };
  /** Follows `$ref`s into `components.schemas`, so scalar coercion sees the real type. */
  const resolve = (schema: unknown): unknown => {
    for (let depth = 0; depth < 8; depth++) {
      const ref = (schema as { $ref?: string } | undefined)?.$ref;
      if (!ref?.startsWith("#/components/schemas/")) return schema;
      schema = spec.components.schemas[ref.slice("#/components/schemas/".length)];
    }
    return schema;
  };
  const operationOf = (op: MatchedOperation): Operation => {
    const found = spec.paths[op.template]?.[op.method];
    if (!found) throw new Error(`no operation ${op.method} ${op.template}`);
    return found;
  };

  return {
    match(method, pathname) {
      const lower = method.toLowerCase();
      for (const route of routes) {
        const m = route.regex.exec(pathname);
        const operation = route.item[lower];
        if (!m || !operation) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] ?? "")));
        return { operationId: operation.operationId, template: route.template, method: lower, params };
      }
      return undefined;
    },

    validateRequest(op, query, contentType, body) {
      const operation = operationOf(op);
      const details: string[] = [];
      for (const p of operation.parameters ?? []) {
        if (p.in === "path") {
          const v = validatorFor(`${op.operationId}:path:${p.name}`, p.schema);
          if (!v(coerce(op.params[p.name] ?? "", resolve(p.schema)))) details.push(`path parameter ${p.name}: ${describe(v.errors)}`);
        }
        if (p.in !== "query") continue;
        const raw = query.get(p.name);
        if (raw === null) {
          if (p.required) details.push(`query parameter ${p.name} is required`);
          continue;
        }
        const v = validatorFor(`${op.operationId}:query:${p.name}`, p.schema);
        if (!v(coerce(raw, resolve(p.schema)))) details.push(`query parameter ${p.name}=${JSON.stringify(raw)}: ${describe(v.errors)}`);
      }
      const content = operation.requestBody?.content;
      if (body !== undefined && !content) details.push("the operation takes no request body");
      if (content && body !== undefined) {
        const type = mediaType(contentType);
        const media = content[type];
        if (!media) details.push(`content type ${type || "(none)"} is not one of ${Object.keys(content).join(", ")}`);
        else if (type === "application/json") {
          const v = validatorFor(`${op.operationId}:request`, media.schema);
          if (!v(body)) details.push(`body: ${describe(v.errors)}`);
        }
      }
      if (content && body === undefined && operation.requestBody?.required) details.push("a request body is required");
      return details.length > 0 ? { rule: `request of ${op.operationId} (${op.method.toUpperCase()} ${op.template})`, details } : undefined;
    },

    validateResponse(op, status, contentType, body) {
      const responses = operationOf(op).responses;
      const key = String(status);
      const classKey = `${key[0]}XX`;
      const chosen = responses[key] ? key : responses[classKey] ? classKey : responses.default ? "default" : undefined;
      const rule = `response ${status} of ${op.operationId} (${op.method.toUpperCase()} ${op.template})`;
      if (!chosen) return { rule, details: [`status ${status} is not documented (documented: ${Object.keys(responses).join(", ")})`] };
      const content = responses[chosen]?.content;
      if (!content) return undefined;
      const type = mediaType(contentType);
      const media = content[type];
      if (!media) return { rule, details: [`content type ${type} is not one of ${Object.keys(content).join(", ")}`] };
      if (type !== "application/json") return undefined;
      const v = validatorFor(`${op.operationId}:response:${chosen}`, media.schema);
      return v(body) ? undefined : { rule, details: [`body: ${describe(v.errors)}`] };
    },
  };
}

// --- internal ---

const DOC_ID = "qdrant-openapi.json";

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema: unknown;
}
interface Media {
  schema: unknown;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, Media>; required?: boolean };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

/** Keywords of OpenAPI that are documentation only; dropped so they cannot be mistaken for constraints. */
const DOC_KEYWORDS = new Set(["nullable", "example", "deprecated", "description", "externalDocs", "title"]);

/** Turns an OpenAPI 3.0 schema into JSON Schema for Ajv. */
function convert(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(convert);
  if (schema === null || typeof schema !== "object") return schema;
  const src = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(src)) {
    if (DOC_KEYWORDS.has(key)) continue;
    if (key === "$ref" && typeof value === "string") out.$ref = value.startsWith("#/") ? `${DOC_ID}${value}` : value;
    else if (key === "properties" || key === "schemas") out[key] = mapValues(value as Record<string, unknown>, convert);
    else out[key] = convert(value);
  }
  if (src.nullable !== true) return out;
  if (Object.keys(out).length === 0 || (Object.keys(out).length === 1 && "default" in out)) return { type: "null" };
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

function mapValues(obj: Record<string, unknown>, fn: (v: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, fn(v)]));
}

function compileTemplate(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const source = template
    .split("/")
    .map((seg) => {
      const m = /^\{(.+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      names.push(m[1] ?? "");
      return "([^/]+)";
    })
    .join("/");
  return { regex: new RegExp(`^${source}$`), names };
}

/** Query and path values arrive as text: read them as the schema's scalar type before validating. */
function coerce(raw: string, schema: unknown): unknown {
  const type = (schema as { type?: string } | undefined)?.type;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  if (type === "integer" || type === "number") return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  const anyOf = (schema as { anyOf?: { type?: string }[] } | undefined)?.anyOf;
  if (anyOf?.some((s) => s.type === "integer") && /^\d+$/.test(raw)) return Number(raw);
  return raw;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"} (${e.schemaPath})`).join("; ");
}

function numericFormats(): Record<string, { type: "number"; validate: (n: number) => boolean }> {
  const uint = (max: number) => ({ type: "number" as const, validate: (n: number) => Number.isInteger(n) && n >= 0 && n <= max });
  const finite = { type: "number" as const, validate: (n: number) => Number.isFinite(n) };
  return {
    uint: uint(Number.MAX_VALUE),
    uint64: uint(Number.MAX_VALUE),
    uint32: uint(2 ** 32 - 1),
    uint8: uint(255),
    int64: { type: "number", validate: (n) => Number.isInteger(n) },
    float: finite,
    double: finite,
  };
}

const stringFormats: Record<string, (s: string) => boolean> = {
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  "date-time": (s) => !Number.isNaN(Date.parse(s)),
  "partial-date-time": (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(s),
  uri: (s) => URL.canParse(s),
  binary: () => true,
};
