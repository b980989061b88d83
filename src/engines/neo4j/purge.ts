/**
 * Empties a database before a restore without holding it all in one transaction: relationships then nodes are
 * deleted in auto-commit batches (`CALL { … } IN TRANSACTIONS OF n ROWS`), so the server's memory use does
 * not grow with the graph; then constraints and indexes are dropped.
 */
import type { Emitter } from "../../core/events.ts";
import type { Neo4jConnection } from "./connection.ts";
import { dropSchema } from "./schema.ts";

/** True when the database holds no node, relationship, constraint or (non-lookup) index. */
export function isEmpty(counts: Record<string, number>): boolean {
  return !counts.nodes && !counts.relationships && !counts.constraints && !counts.indexes;
}

/** Deletes everything, in batches of `batchSize` rows per transaction. */
export async function purge(conn: Neo4jConnection, options: { signal: AbortSignal; events: Emitter; batchSize?: number }): Promise<void> {
  const n = Math.max(1, Math.floor(options.batchSize ?? 10_000));
  await conn.query(`MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF ${n} ROWS`, {}, options.signal);
  await conn.query(`MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF ${n} ROWS`, {}, options.signal);
  const dropped = await dropSchema(conn, options.signal);
  options.events.info(`Neo4j: database '${conn.database}' emptied (${dropped} constraints and indexes dropped).`);
}
