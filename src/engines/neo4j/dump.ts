/**
 * The `dump` method: `neo4j-admin database dump <db> --to-stdout` and `neo4j-admin database load <db>
 * --from-stdin --overwrite-destination=true`, run on the server's host through an executor, streamed straight
 * into / out of the artifact (binary; for large graphs).
 *
 * Requirement: on Community Edition the WHOLE Neo4j server must be stopped for both (Enterprise can stop just
 * the database, which a {@link Neo4jServerControl} may do instead). The engine stops it through the injected
 * control, and starts it again in `finally`, whether the dump or load worked or not.
 */
import { PassThrough, type Readable } from "node:stream";
import type { Executor } from "../../exec/executor.ts";
import { EngineError } from "../../core/errors.ts";
import { quiet } from "../../core/promises.ts";
import type { ArtifactRecord, ArtifactSpec, BackupContext } from "../engine.ts";

/** Starts again what {@link Neo4jServerControl.stop} stopped, and resolves once Neo4j accepts connections. */
export type RestartNeo4j = () => Promise<void>;

/**
 * Stops and starts the Neo4j server (or, on Enterprise Edition, the database) around `neo4j-admin`. A
 * `ServiceController` of `src/services` (compose, systemd, command) fits behind it.
 */
export interface Neo4jServerControl {
  /**
   * Stops the server gracefully (a store that needs recovery cannot be dumped: never kill it) and resolves
   * once it is stopped, with the function that restarts it. Must leave the server running if it throws.
   */
  stop(options: { signal: AbortSignal }): Promise<RestartNeo4j>;
}

/** Everything the `dump` method needs besides the Bolt connection. */
export interface Neo4jDumpOptions {
  /** Runs programs on the host of the Neo4j server (local, SSH, SSM). */
  executor: Executor;
  /**
   * The program and leading arguments that run `neo4j-admin` on that host, e.g. `["neo4j-admin"]` or
   * `["docker", "exec", "-i", "knowbase-neo4j", "neo4j-admin"]`.
   */
  adminCommand: readonly string[];
  control: Neo4jServerControl;
}

/** Stops the server, streams the dump into `ctx.writeArtifact`, restarts the server (always). */
export async function dumpDatabase(options: Neo4jDumpOptions, database: string, spec: ArtifactSpec, ctx: BackupContext): Promise<ArtifactRecord> {
  const [program, ...lead] = checkCommand(options.adminCommand);
  const restart = await options.control.stop({ signal: ctx.signal });
  try {
    ctx.events.info(`Neo4j stopped for neo4j-admin database dump ${database}.`);
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    const stored = quiet(ctx.writeArtifact(spec, out));
    try {
      await options.executor.run(program, [...lead, "database", "dump", database, "--to-stdout"], { signal: ctx.signal, stdout: out });
      out.end();
    } catch (err) {
      out.destroy(err as Error);
      await stored.catch(() => {});
      throw err;
    }
    return await stored;
  } finally {
    await restart();
    ctx.events.info("Neo4j started again.");
  }
}

/** Stops the server, loads the dump from `source` (overwriting the database), restarts the server (always). */
export async function loadDatabase(options: Neo4jDumpOptions, database: string, source: Readable, signal: AbortSignal): Promise<void> {
  const [program, ...lead] = checkCommand(options.adminCommand);
  const restart = await options.control.stop({ signal });
  try {
    await options.executor.run(program, [...lead, "database", "load", database, "--from-stdin", "--overwrite-destination=true"], { signal, stdin: source });
  } finally {
    source.destroy();
    await restart();
  }
}

// --- internal ---

function checkCommand(command: readonly string[]): [string, ...string[]] {
  const [program, ...rest] = command;
  if (!program) {
    throw new EngineError("The dump method needs the neo4j-admin command of the Neo4j host.", {
      hint: "Set the neo4j-admin command (for example `neo4j-admin` or `docker exec -i <container> neo4j-admin`), or use --neo4j-method cypher.",
    });
  }
  return [program, ...rest];
}
