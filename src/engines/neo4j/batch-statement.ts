/**
 * Recognises the batch statements of a script (`UNWIND [ literal rows ] AS row <tail>` or `UNWIND $param AS
 * row <tail>`) and classifies their tails, so the loader knows which batches it may merge.
 */
import { parseLiteral, NotALiteral } from "./literal-parser.ts";

const UNWIND_RE = /^UNWIND\s+/i;
const NODE_BATCH_RE = /^UNWIND \$rows AS \S+ CREATE \([^()[\]]*\)( SET [^()[\]]*)?$/i;
const REL_BATCH_RE = /^UNWIND \$rows AS \S+ (MATCH \([^()[\]]*\)\s*)+CREATE \((?:\w+|``)\)-\[[^()[\]]*\]->\((?:\w+|``)\)( SET [^()[\]]*)?$/i;

/** `nodes` for a batch that only creates nodes, `rels` for one that only creates relationships between matched nodes. */
export function classify(query: string): "nodes" | "rels" | undefined {
  const plain = query.replace(/`(?:[^`]|``)*`/g, "``").replace(/\s+/g, " ").trim();
  if (/\b(MERGE|CALL|WITH|DELETE|REMOVE|FOREACH|LOAD|WHERE)\b/i.test(plain)) return undefined;
  if (NODE_BATCH_RE.test(plain)) return "nodes";
  if (REL_BATCH_RE.test(plain)) return "rels";
  return undefined;
}

/** The query of the group holding the most script characters. */
export function largest(groups: Map<string, { chars: number }>): string {
  let best = "";
  let size = -1;
  for (const [query, g] of groups) {
    if (g.chars > size) {
      best = query;
      size = g.chars;
    }
  }
  return best;
}

// --- internal ---

const AS_RE = /\s*AS\s+(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\s+/iy;
const PARAM_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)/;

/**
 * `UNWIND [rows] AS v tail` or `UNWIND $param AS v tail` → the parameterised query and its rows (`fromParameter`
 * when they came from a `:param`); undefined for any other statement.
 */
export function asBatch(text: string, params: Record<string, unknown>): { query: string; rows: unknown[]; fromParameter: boolean } | undefined {
  const unwind = UNWIND_RE.exec(text);
  if (!unwind) return undefined;
  const at = unwind[0].length;
  if (text[at] !== "[" && text[at] !== "$") return undefined;
  let rows: unknown;
  let end: number;
  const param = PARAM_RE.exec(text.slice(at));
  if (param?.[1] !== undefined) {
    rows = params[param[1]];
    end = at + param[0].length;
  } else {
    try {
      ({ value: rows, end } = parseLiteral(text, at));
    } catch (err) {
      if (err instanceof NotALiteral) return undefined;
      throw err;
    }
  }
  if (!Array.isArray(rows)) return undefined;
  AS_RE.lastIndex = end;
  const as = AS_RE.exec(text);
  if (!as) return undefined;
  return { query: `UNWIND $rows AS ${as[1]} ${text.slice(AS_RE.lastIndex)}`, rows, fromParameter: param !== null };
}

