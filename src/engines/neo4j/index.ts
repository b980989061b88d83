/**
 * The Neo4j engine (DESIGN §4 step 3, §5 step 4). Three methods:
 *
 * - `cypher` (default): a Bolt export in one read transaction into a `stackvault-cypher/2` script that
 *   `cypher-shell` replays and that the stackvault loader loads fast (see `script-format.ts`, `loader.ts`).
 * - `apoc`: `apoc.export.cypher.all` streamed (APOC's own format), loaded by the same loader.
 * - `dump`: `neo4j-admin database dump/load` on the host, with the server stopped and restarted (see `dump.ts`).
 *
 * Restore refuses a non-empty database unless `ctx.purge`, refuses a backup from a newer Neo4j, and empties
 * the database (data and schema, in batches) only after checking the artifact end to end when
 * `preverify` is on and no preflight of the same run re-hashed it already (`ctx.verified`; the plan verifies
 * every artifact before it calls `restore()`, DESIGN §5).
 */
import { Readable } from "node:stream";
import { EngineError, IntegrityError } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import type { ArtifactRecord, BackupContext, Engine, EngineInspection, EngineSection, RestoreContext } from "../engine.ts";
import { Neo4jConnection, type Neo4jConnectionOptions } from "./connection.ts";
import { exportCypher, type CypherExportResult } from "./export-cypher.ts";
import { exportApoc } from "./export-apoc.ts";
import { dumpDatabase, loadDatabase, type Neo4jDumpOptions } from "./dump.ts";
import { loadScript } from "./loader.ts";
import { isEmpty, purge } from "./purge.ts";
import { dropSchema, readSchema } from "./schema.ts";
import { DEFAULT_LIMITS, FORMAT, READABLE_FORMATS, type BatchLimits } from "./script-format.ts";
import { splitScript } from "./statement-splitter.ts";
import { drainAndCheck, majorOf, compareVersions } from "./checks.ts";

export type Neo4jMethod = "cypher" | "apoc" | "dump";
export type { Neo4jDumpOptions, Neo4jServerControl, RestartNeo4j } from "./dump.ts";
export type { Neo4jConnectionOptions } from "./connection.ts";

export interface Neo4jEngineOptions extends Neo4jConnectionOptions {
  /** @default "cypher" */
  method?: Neo4jMethod;
  /** What to do when the database changed during a `cypher` export. @default "fail" */
  onConcurrentWrite?: "fail" | "warn";
  /** Rows per write transaction of the loader. @default 20000 */
  rowsPerTransaction?: number;
  /** Rows per transaction when purging. @default 10000 */
  purgeBatchSize?: number;
  /** Rows per UNWIND batch in the written script. @default 1000 */
  scriptBatchRows?: number;
  /**
   * Characters of one UNWIND batch in the written script before it is closed early (rows with embeddings).
   * Every statement is one string in memory on both sides (written whole here; read whole by the loader,
   * which merges consecutive batches into its own transactions anyway): small statements keep the
   * short-lived strings small, and with them the process's peak memory. @default 256 KiB
   */
  scriptBatchChars?: number;
  /**
   * Read the whole artifact once (checksum by the plan's stream, end marker by the engine) before purging,
   * unless the restore context says the run re-hashed it already (`verified`). @default true
   */
  preverify?: boolean;
  /** Needed by the `dump` method only. */
  dump?: Neo4jDumpOptions;
}

/** Creates the engine; the connection opens lazily on first use. */
export function createNeo4jEngine(options: Neo4jEngineOptions): Engine {
  return new Neo4jEngine(options);
}

// --- internal ---

const ARTIFACT = { cypher: "neo4j-backup.cypher", apoc: "neo4j-backup.cypher", dump: "neo4j-backup.dump" } as const;

class Neo4jEngine implements Engine {
  readonly name = "neo4j" as const;
  private readonly options: Neo4jEngineOptions;
  private readonly conn: Neo4jConnection;

  constructor(options: Neo4jEngineOptions) {
    this.options = options;
    this.conn = new Neo4jConnection(options);
  }

  async inspect({ signal }: { signal: AbortSignal }): Promise<EngineInspection> {
    const facts = await this.conn.facts(signal);
    return { version: facts.neo4jVersion, counts: facts.counts, details: { edition: facts.edition, apocVersion: facts.apocVersion, database: this.conn.database } };
  }

  async count({ signal }: { signal: AbortSignal }): Promise<Record<string, number>> {
    return this.conn.counts(signal);
  }

  async backup(ctx: BackupContext): Promise<EngineSection> {
    const method = this.options.method ?? "cypher";
    const server = await this.conn.server(ctx.signal);
    // The counts are read beside the APOC version and then the schema (one connection each: the one the query
    // above left idle and one more). The `cypher` export starts once the counts are in (they must be taken
    // before it), on the connection they leave idle, while the schema, which it writes at its end, may still be
    // read. The other methods wait for all three: `apoc` needs to know that APOC is there, and `dump` stops
    // the database.
    const before = this.conn.counts(ctx.signal);
    const apoc = this.conn.apocVersion(ctx.signal);
    const facts = quiet(
      Promise.all([before, apoc, apoc.then(() => readSchema(this.conn, ctx.signal))]).then(([counts, apocVersion, schema]) => ({ counts, apocVersion, schema })),
    );
    if (method !== "cypher") await facts;
    const source = `Neo4j ${server.neo4jVersion} ${server.edition}, database ${this.conn.database}`;
    let record: ArtifactRecord;
    let extra: Record<string, unknown>;
    if (method === "cypher") {
      let done: CypherExportResult | undefined;
      const limits: BatchLimits = { rows: this.options.scriptBatchRows ?? DEFAULT_LIMITS.rows, chars: this.options.scriptBatchChars ?? DEFAULT_LIMITS.chars };
      const gen = exportCypher(this.conn, {
        signal: ctx.signal, events: ctx.events, schema: quiet(facts.then((f) => f.schema)), before: await before, source, limits,
        onConcurrentWrite: this.options.onConcurrentWrite ?? "fail", onDone: (r) => (done = r),
      });
      record = await ctx.writeArtifact({ name: ARTIFACT.cypher }, Readable.from(gen, { objectMode: false }));
      extra = { format: FORMAT, exported: { nodes: done?.nodes, relationships: done?.relationships }, ...(done?.concurrentWrite ? { concurrentWrite: done.concurrentWrite } : {}) };
    } else if (method === "apoc") {
      if (!(await facts).apocVersion) {
        throw new EngineError(`APOC is not installed on Neo4j at ${this.conn.uri}.`, { hint: "Use --neo4j-method cypher (the default, needs no APOC)." });
      }
      let done: { nodes: number; relationships: number } | undefined;
      const gen = exportApoc(this.conn, { signal: ctx.signal, onDone: (r) => (done = r) });
      record = await ctx.writeArtifact({ name: ARTIFACT.apoc }, Readable.from(gen, { objectMode: false }));
      extra = { format: "apoc-cypher-shell", exported: done };
    } else {
      record = await dumpDatabase(this.dumpOptions(), this.conn.database, { name: ARTIFACT.dump, compression: "none" }, ctx);
      extra = { format: "neo4j-admin-dump" };
    }
    const { counts, apocVersion, schema } = await facts;
    const details: Record<string, unknown> = {
      method, database: this.conn.database, edition: server.edition, apocVersion,
      schema: { constraints: schema.constraints.length, indexes: schema.indexes.length, statements: [...schema.constraints, ...schema.indexes] },
      ...extra,
    };
    ctx.events.ok(`Neo4j: ${counts.nodes} nodes, ${counts.relationships} relationships (${method})`);
    return { engine: "neo4j", version: server.neo4jVersion, artifacts: [record], counts, details };
  }

  async checkRestorable(section: EngineSection, { signal }: { signal: AbortSignal }): Promise<void> {
    if (section.engine !== "neo4j") throw new IntegrityError(`This is a ${section.engine} section, not a Neo4j one.`);
    const method = section.details.method;
    if (method !== "cypher" && method !== "apoc" && method !== "dump") {
      throw new IntegrityError(`The Neo4j section names an unknown method '${String(method)}'; restore it with a newer stackvault.`);
    }
    if (method === "cypher" && !READABLE_FORMATS.includes(String(section.details.format))) {
      throw new IntegrityError(`The Neo4j artifact is in format '${String(section.details.format)}', which this stackvault does not know (it reads ${READABLE_FORMATS.join(", ")}).`, {
        hint: "Restore it with the stackvault version that wrote it, or a newer one.",
      });
    }
    if (!section.artifacts.some((a) => a.name === ARTIFACT[method])) throw new IntegrityError(`The Neo4j section lists no ${ARTIFACT[method]} artifact.`);
    if (method === "dump") this.dumpOptions();
    const { neo4jVersion } = await this.conn.server(signal);
    const newer = method === "dump" ? compareVersions(section.version, neo4jVersion) > 0 : majorOf(section.version) > majorOf(neo4jVersion);
    if (newer) {
      throw new EngineError(`The backup comes from Neo4j ${section.version}, newer than the server's ${neo4jVersion}: it cannot be restored here.`, {
        hint: `Restore into Neo4j ${method === "dump" ? section.version : majorOf(section.version)} or later.`,
      });
    }
  }

  async restore(section: EngineSection, ctx: RestoreContext): Promise<void> {
    await this.checkRestorable(section, { signal: ctx.signal });
    const method = section.details.method as Neo4jMethod;
    const name = ARTIFACT[method];
    const counts = await this.conn.counts(ctx.signal);
    const empty = isEmpty(counts);
    if (!empty && !ctx.purge) {
      throw new EngineError(`Neo4j database '${this.conn.database}' at ${this.conn.uri} is not empty (${counts.nodes} nodes, ${counts.relationships} relationships); refusing to restore over it.`, {
        hint: "Restore into an empty database, or let the restore purge it (confirm with --yes).",
      });
    }
    const from = section.details.database;
    if (typeof from === "string" && from !== this.conn.database) {
      ctx.events.warn(`Neo4j: the backup of database '${from}' is restored into database '${this.conn.database}' (the configured neo4j.database).`);
    }
    // A preflight of this run re-hashed the artifact (ctx.verified): the bytes are those the backup wrote, end
    // marker included, so the read-through before the purge would only read them again.
    if ((this.options.preverify ?? true) && ctx.verified !== true) await drainAndCheck(await ctx.readArtifact(name), method !== "dump");
    if (method === "dump") {
      await loadDatabase(this.dumpOptions(), this.conn.database, await ctx.readArtifact(name), ctx.signal);
      ctx.events.ok(`Neo4j: dump loaded into '${this.conn.database}'.`);
      return;
    }
    if (!empty) await purge(this.conn, { signal: ctx.signal, events: ctx.events, batchSize: this.options.purgeBatchSize });
    const source = await ctx.readArtifact(name);
    try {
      const result = await loadScript(this.conn, splitScript(source), {
        signal: ctx.signal, events: ctx.events, requireTrailer: true, rowsPerTransaction: this.options.rowsPerTransaction,
      });
      ctx.events.ok(`Neo4j: ${result.rows} rows loaded in ${result.transactions} transactions, ${result.statements} other statements.`);
    } finally {
      source.destroy();
    }
    if (method === "apoc") await this.replaceSchema(section, ctx.signal);
  }

  /**
   * APOC's script loses index names and options and skips vector indexes: replace what it created with the
   * schema statements recorded at backup time.
   */
  private async replaceSchema(section: EngineSection, signal: AbortSignal): Promise<void> {
    const statements = (section.details.schema as { statements?: unknown } | undefined)?.statements;
    if (!Array.isArray(statements) || !statements.every((s) => typeof s === "string" && /^\s*CREATE\s/i.test(s))) {
      throw new IntegrityError("The Neo4j section's schema statements are missing or malformed.");
    }
    await dropSchema(this.conn, signal);
    for (const statement of statements as string[]) await this.conn.query(statement, {}, signal);
    await this.conn.query("CALL db.awaitIndexes(3600)", {}, signal);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  private dumpOptions(): Neo4jDumpOptions {
    if (!this.options.dump) {
      throw new EngineError("The dump method needs access to the Neo4j host (neo4j-admin and a way to stop and start the server).", {
        hint: "Run it on the host (--host …) with the Neo4j service configured, or use --neo4j-method cypher.",
      });
    }
    return this.options.dump;
  }
}
