/**
 * The `apoc` export method: `apoc.export.cypher.all` with `stream: true` (nothing written on the server), in
 * APOC's `cypher-shell` format with `UNWIND_BATCH` optimisation, so that `cypher-shell -f` replays it and the
 * stackvault loader can still turn its batches into parameters. The rows APOC streams are written as they
 * arrive (bounded memory: one APOC batch). A `stackvault:end` comment is appended, so a truncated artifact is
 * detected on restore.
 */
import { EngineError } from "../../core/errors.ts";
import type { Neo4jConnection } from "./connection.ts";
import { trailer } from "./script-format.ts";

export interface ApocExportOptions {
  signal: AbortSignal;
  /** Rows of the UNWIND batches APOC writes. @default 1000 */
  unwindBatchSize?: number;
  /** Nodes or relationships per streamed chunk. @default 10000 */
  batchSize?: number;
  onDone?: (result: { nodes: number; relationships: number }) => void;
}

/** Yields APOC's script. @throws EngineError when APOC is missing (suggesting the `cypher` method). */
export async function* exportApoc(conn: Neo4jConnection, options: ApocExportOptions): AsyncGenerator<Buffer> {
  const session = conn.session("READ");
  const config = {
    stream: true,
    format: "cypher-shell",
    useOptimizations: { type: "UNWIND_BATCH", unwindBatchSize: options.unwindBatchSize ?? 1000 },
    batchSize: options.batchSize ?? 10_000,
  };
  let nodes = 0;
  let relationships = 0;
  try {
    const result = session.run(
      "CALL apoc.export.cypher.all(null, $config) YIELD nodes, relationships, cypherStatements RETURN nodes, relationships, cypherStatements",
      { config },
    );
    const it = result[Symbol.asyncIterator]();
    for (;;) {
      let step;
      try {
        step = await it.next();
      } catch (err) {
        throw apocError(conn, err, options.signal);
      }
      if (step.done) break;
      const record = step.value;
      nodes = Math.max(nodes, Number(record.get("nodes") ?? 0));
      relationships = Math.max(relationships, Number(record.get("relationships") ?? 0));
      const text = record.get("cypherStatements") as string | null;
      if (text) yield Buffer.from(text.endsWith("\n") ? text : `${text}\n`);
    }
  } finally {
    await session.close().catch(() => {});
  }
  options.onDone?.({ nodes, relationships });
  yield Buffer.from(trailer(nodes, relationships));
}

/** The error for a failed APOC call; a missing procedure says to use the `cypher` method. */
export function apocError(conn: Neo4jConnection, err: unknown, signal?: AbortSignal): Error {
  const message = err instanceof Error ? err.message : String(err);
  if (/no procedure with the name|Unknown procedure|not found.*apoc|apoc.*not (found|available)/i.test(message)) {
    return new EngineError(`APOC is not installed on Neo4j at ${conn.uri} (apoc.export.cypher.all is missing).`, {
      cause: err,
      hint: "Use --neo4j-method cypher (the default, needs no APOC) or install APOC core.",
    });
  }
  return conn.translate(err, signal);
}
