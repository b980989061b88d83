/**
 * The Bolt connection of the Neo4j engine: one driver (integers as `bigint`, so that every int64 is exact and
 * every JS `number` is a FLOAT), error translation into {@link EngineError}s that name the URI and never the
 * password, and the read-only queries that describe a database (versions, counts).
 */
import neo4j, { type Driver, type Session } from "neo4j-driver";
import { EngineError, CancelledError, isStackvaultError, throwIfAborted } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import { writeName } from "./literal-writer.ts";

/** How to reach the server. */
export interface Neo4jConnectionOptions {
  /** Bolt URI, e.g. `bolt://127.0.0.1:7687` or `neo4j://host:7687`. */
  uri: string;
  /** @default "neo4j" */
  user?: string;
  password: string;
  /** Database to back up or restore. @default "neo4j" */
  database?: string;
  /** Records per pull while streaming an export (the driver's fetch size). @default 5000 */
  fetchSize?: number;
}

/** Versions and counts of one database. */
export interface DatabaseFacts {
  neo4jVersion: string;
  edition: string;
  apocVersion: string | null;
  counts: Record<string, number>;
}

/** A driver plus the translated-error helpers the engine needs. */
export class Neo4jConnection {
  readonly driver: Driver;
  readonly uri: string;
  readonly database: string;
  readonly fetchSize: number;

  constructor(options: Neo4jConnectionOptions) {
    registerSecret(options.password);
    this.uri = options.uri;
    this.database = options.database ?? "neo4j";
    this.fetchSize = options.fetchSize ?? 5000;
    this.driver = neo4j.driver(options.uri, neo4j.auth.basic(options.user ?? "neo4j", options.password), {
      useBigInt: true,
      disableLosslessIntegers: false,
      fetchSize: this.fetchSize,
      maxConnectionPoolSize: 8,
      connectionAcquisitionTimeout: 60_000,
      connectionTimeout: 15_000,
      notificationFilter: { minimumSeverityLevel: "OFF" },
      logging: { level: "error", logger: () => {} },
    });
  }

  /** A session on the configured database. */
  session(mode: "READ" | "WRITE" = "WRITE"): Session {
    return this.driver.session({
      database: this.database,
      defaultAccessMode: mode === "READ" ? neo4j.session.READ : neo4j.session.WRITE,
      fetchSize: this.fetchSize,
    });
  }

  /** Runs one auto-commit query and returns its records as plain objects. For small results only. */
  async query(cypher: string, params: Record<string, unknown> = {}, signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
    return this.guard(async () => {
      throwIfAborted(signal);
      const session = this.session();
      try {
        const result = await session.run(cypher, params);
        return result.records.map((r) => r.toObject() as Record<string, unknown>);
      } finally {
        await session.close();
      }
    }, signal);
  }

  /** Runs `work`, translating driver errors (auth, unreachable, cancelled) into stackvault errors. */
  async guard<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw this.translate(err, signal);
    }
  }

  /** A stackvault error for any failure of the driver or the server. */
  translate(err: unknown, signal?: AbortSignal): Error {
    if (isStackvaultError(err)) return err;
    if (signal?.aborted) return new CancelledError("Cancelled.", { cause: signal.reason });
    const code = (err as { code?: string }).code ?? "";
    const message = err instanceof Error ? err.message : String(err);
    if (code === "Neo.ClientError.Security.Unauthorized" || code === "Neo.ClientError.Security.AuthenticationRateLimit") {
      return new EngineError(`Neo4j at ${this.uri} refused the credentials of the configured user.`, {
        hint: "Check --neo4j-user and the password (NEO4J_PASSWORD or --neo4j-password-file).",
      });
    }
    if (code === "ServiceUnavailable" || code === "SessionExpired" || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|connect/i.test(message)) {
      return new EngineError(`Neo4j is not reachable at ${this.uri}: ${message}`, {
        cause: err,
        hint: "Check that Neo4j runs and that --neo4j-uri points to its Bolt port.",
      });
    }
    if (code === "Neo.ClientError.Database.DatabaseNotFound") {
      return new EngineError(`Neo4j at ${this.uri} has no database named '${this.database}'.`, { cause: err });
    }
    return new EngineError(`Neo4j at ${this.uri} failed: ${message}${code ? ` (${code})` : ""}`, { cause: err });
  }

  /** Version, edition, APOC version (null when absent) and counts. Never writes. */
  async facts(signal?: AbortSignal): Promise<DatabaseFacts> {
    const [component] = await this.query("CALL dbms.components() YIELD name, versions, edition RETURN versions[0] AS version, edition", {}, signal);
    let apocVersion: string | null = null;
    try {
      const [row] = await this.query("RETURN apoc.version() AS v", {}, signal);
      apocVersion = row?.v === undefined || row.v === null ? null : String(row.v);
    } catch (err) {
      if (!(err instanceof EngineError) || !/Unknown function|apoc/i.test(err.message)) throw err;
    }
    return {
      neo4jVersion: String(component?.version ?? "unknown"),
      edition: String(component?.edition ?? "unknown"),
      apocVersion,
      counts: await this.counts(signal),
    };
  }

  /**
   * `nodes`, `relationships`, `nodes:<label>`, `relationships:<type>`, `constraints`, `indexes` (indexes not
   * owned by a constraint). Read from the count store: cheap on any size.
   */
  async counts(signal?: AbortSignal): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const [nodes] = await this.query("MATCH (n) RETURN count(n) AS c", {}, signal);
    const [rels] = await this.query("MATCH ()-[r]->() RETURN count(r) AS c", {}, signal);
    out.nodes = Number(nodes?.c ?? 0);
    out.relationships = Number(rels?.c ?? 0);
    for (const row of await this.query("CALL db.labels() YIELD label RETURN label", {}, signal)) {
      const label = String(row.label);
      const [c] = await this.query(`MATCH (n:${writeName(label)}) RETURN count(n) AS c`, {}, signal);
      if (Number(c?.c ?? 0) > 0) out[`nodes:${label}`] = Number(c?.c);
    }
    for (const row of await this.query("CALL db.relationshipTypes() YIELD relationshipType RETURN relationshipType AS t", {}, signal)) {
      const type = String(row.t);
      const [c] = await this.query(`MATCH ()-[r:${writeName(type)}]->() RETURN count(r) AS c`, {}, signal);
      if (Number(c?.c ?? 0) > 0) out[`relationships:${type}`] = Number(c?.c);
    }
    out.constraints = (await this.query("SHOW CONSTRAINTS YIELD name RETURN name", {}, signal)).length;
    out.indexes = (
      await this.query("SHOW INDEXES YIELD name, owningConstraint, type WHERE owningConstraint IS NULL AND type <> 'LOOKUP' RETURN name", {}, signal)
    ).length;
    return out;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
