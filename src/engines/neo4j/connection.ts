/**
 * The Bolt connection of the Neo4j engine: one driver (integers as `bigint`, so that every int64 is exact and
 * every JS `number` is a FLOAT), error translation into {@link EngineError}s that name the URI and never the
 * password, and the read-only queries that describe a database (versions, counts). Temporal values are decoded by
 * the driver with the fast arithmetic of `temporal-hydration.ts`.
 */
import neo4j, { type Driver, type Session } from "neo4j-driver";
import { EngineError, CancelledError, isStackvaultError, throwIfAborted } from "../../core/errors.ts";
import { registerSecret } from "../../core/redact.ts";
import { writeName } from "./literal-writer.ts";
import { installFastTemporalHydration } from "./temporal-hydration.ts";

/** How to reach the server. */
export interface Neo4jConnectionOptions {
  /** Bolt URI, e.g. `bolt://127.0.0.1:7687` or `neo4j://host:7687`. */
  uri: string;
  /** @default "neo4j" */
  user?: string;
  password: string;
  /** Database to back up or restore. @default "neo4j" */
  database?: string;
  /**
   * Records per pull while streaming an export (the driver's fetch size); about three times as many may be in
   * memory at once (see `record-chunks.ts`). Every record still waiting survives the young generation's
   * collections, which copy it, so a smaller window costs less garbage collection: on the reference graph at
   * 1× (`bench/neo4j/child.ts export-cypher`, nine alternating runs each), 250 took 0.77-0.79 CPU s and
   * 127-128 MiB at peak against 0.84-0.87 CPU s and 143-153 MiB at 1000, and was no slower (0.78-0.80 s
   * against 0.82-0.83 s). Earlier, at 10×, 1000 measured no slower than 5000.
   * @default 250
   */
  fetchSize?: number;
}

/**
 * One query that reads every count from the count store (a UNION of count-store reads, whatever the number of
 * labels and types, so that the server plans and runs one statement): rows `{c, k}` with the count `c` of read
 * `k`, the reads being all nodes, all relationships, then each label, then each type. `WITH count(…) AS c` keeps
 * each read a count-store lookup (a constant beside the count in a RETURN turns it into a scan).
 */
export function countStoreQuery(labels: readonly string[], types: readonly string[]): string {
  const reads = [
    "MATCH (n) WITH count(n) AS c",
    "MATCH ()-[r]->() WITH count(r) AS c",
    ...labels.map((l) => `MATCH (n:${writeName(l)}) WITH count(n) AS c`),
    ...types.map((t) => `MATCH ()-[r:${writeName(t)}]->() WITH count(r) AS c`),
  ];
  return reads.map((read, k) => `${read} RETURN c, ${k} AS k`).join(" UNION ALL ");
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
    this.fetchSize = options.fetchSize ?? 250;
    installFastTemporalHydration();
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
      return new EngineError(`Neo4j at ${this.uri} has no database named '${this.database}'.`, {
        cause: err,
        hint: "Set --neo4j-database (neo4j.database) to one that SHOW DATABASES lists; Community Edition has one user database, 'neo4j'.",
      });
    }
    return new EngineError(`Neo4j at ${this.uri} failed: ${message}${code ? ` (${code})` : ""}`, { cause: err });
  }

  /** Version, edition, APOC version (null when absent) and counts. Never writes. */
  async facts(signal?: AbortSignal): Promise<DatabaseFacts> {
    const server = await this.server(signal);
    const [apocVersion, counts] = await Promise.all([this.apocVersion(signal), this.counts(signal)]);
    return { ...server, apocVersion, counts };
  }

  /**
   * The server's version and edition: one query, to be run before any other of a run, so that a wrong password
   * costs one failed login, not one per parallel connection (Neo4j locks the user after a few failed attempts).
   */
  async server(signal?: AbortSignal): Promise<{ neo4jVersion: string; edition: string }> {
    const [component] = await this.query("CALL dbms.components() YIELD name, versions, edition RETURN versions[0] AS version, edition", {}, signal);
    return { neo4jVersion: String(component?.version ?? "unknown"), edition: String(component?.edition ?? "unknown") };
  }

  /** APOC's version, or null when APOC is not installed. */
  async apocVersion(signal?: AbortSignal): Promise<string | null> {
    try {
      const [row] = await this.query("RETURN apoc.version() AS v", {}, signal);
      return row?.v === undefined || row.v === null ? null : String(row.v);
    } catch (err) {
      if (!(err instanceof EngineError) || !/Unknown function|apoc/i.test(err.message)) throw err;
      return null;
    }
  }

  /**
   * `nodes`, `relationships`, `nodes:<label>`, `relationships:<type>`, `constraints`, `indexes` (indexes not
   * owned by a constraint). Read from the count store: cheap on any size. Four queries in one read transaction,
   * two round trips, whatever the number of labels and types.
   */
  async counts(signal?: AbortSignal): Promise<Record<string, number>> {
    return this.guard(async () => {
      throwIfAborted(signal);
      const session = this.session("READ");
      const tx = await session.beginTransaction();
      try {
        const count = async (cypher: string): Promise<number> => Number((await tx.run(cypher)).records[0]?.get("c") ?? 0);
        const [names] = (await tx.run(
          "CALL { CALL db.labels() YIELD label RETURN collect(label) AS labels } CALL { CALL db.relationshipTypes() YIELD relationshipType RETURN collect(relationshipType) AS types } RETURN labels, types",
        )).records;
        const labels = (names?.get("labels") ?? []) as string[];
        const types = (names?.get("types") ?? []) as string[];
        const [all, constraints, indexes] = await Promise.all([
          tx.run(countStoreQuery(labels, types)).then((result) => {
            const values = new Array<number>(2 + labels.length + types.length).fill(0);
            for (const record of result.records) values[Number(record.get("k"))] = Number(record.get("c"));
            return values;
          }),
          count("SHOW CONSTRAINTS YIELD name RETURN count(name) AS c"),
          count("SHOW INDEXES YIELD name, owningConstraint, type WHERE owningConstraint IS NULL AND type <> 'LOOKUP' RETURN count(name) AS c"),
        ]);
        const out: Record<string, number> = { nodes: all[0] ?? 0, relationships: all[1] ?? 0 };
        labels.forEach((l, i) => {
          const c = all[2 + i] ?? 0;
          if (c > 0) out[`nodes:${l}`] = c;
        });
        types.forEach((t, i) => {
          const c = all[2 + labels.length + i] ?? 0;
          if (c > 0) out[`relationships:${t}`] = c;
        });
        out.constraints = constraints;
        out.indexes = indexes;
        return out;
      } finally {
        await tx.rollback().catch(() => {});
        await session.close().catch(() => {});
      }
    }, signal);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
