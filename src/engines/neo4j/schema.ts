/**
 * Schema of a database as `CREATE … IF NOT EXISTS` statements, from `SHOW CONSTRAINTS` / `SHOW INDEXES`
 * (`createStatement` keeps every option: analyzers, vector dimensions and similarity, index providers), and
 * its removal before a restore.
 */
import type { Neo4jConnection } from "./connection.ts";
import { IMPORT_INDEX, ifNotExists } from "./script-format.ts";
import { writeName } from "./literal-writer.ts";

/** What a backup records about the schema. */
export interface SchemaStatements {
  /** Constraint statements (their backing indexes come with them). */
  constraints: string[];
  /** Index statements for indexes not owned by a constraint (token lookup indexes included). */
  indexes: string[];
}

/** Reads the schema. Never writes. */
export async function readSchema(conn: Neo4jConnection, signal?: AbortSignal): Promise<SchemaStatements> {
  const constraints = await conn.query("SHOW CONSTRAINTS YIELD name, createStatement RETURN name, createStatement ORDER BY name", {}, signal);
  const indexes = await conn.query(
    "SHOW INDEXES YIELD name, owningConstraint, createStatement WHERE owningConstraint IS NULL AND name <> $temp RETURN name, createStatement ORDER BY name",
    { temp: IMPORT_INDEX },
    signal,
  );
  return {
    constraints: constraints.map((r) => ifNotExists(String(r.createStatement))),
    indexes: indexes.map((r) => ifNotExists(String(r.createStatement))),
  };
}

/**
 * Drops every constraint and every index except token lookup indexes (which an empty database has anyway;
 * the backup's are recreated with `IF NOT EXISTS`).
 */
export async function dropSchema(conn: Neo4jConnection, signal?: AbortSignal): Promise<number> {
  let dropped = 0;
  for (const row of await conn.query("SHOW CONSTRAINTS YIELD name RETURN name", {}, signal)) {
    await conn.query(`DROP CONSTRAINT ${writeName(String(row.name))} IF EXISTS`, {}, signal);
    dropped++;
  }
  for (const row of await conn.query("SHOW INDEXES YIELD name, type, owningConstraint WHERE type <> 'LOOKUP' AND owningConstraint IS NULL RETURN name", {}, signal)) {
    await conn.query(`DROP INDEX ${writeName(String(row.name))} IF EXISTS`, {}, signal);
    dropped++;
  }
  return dropped;
}
