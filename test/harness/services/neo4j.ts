/**
 * Neo4j 5.26 LTS community with APOC core, from Maven Central (see `../neo4j/install.ts`), run with Java 17
 * as one JVM (`org.neo4j.server.CommunityEntryPoint`) serving Bolt on a loopback port, HTTP off,
 * authentication on with a random password, usage reports off. The home (configuration, data, logs) lives
 * in the state folder and is kept, so data and password survive a restart; the port is kept too when it is
 * still free, so coordinates stay valid across a stop and start.
 *
 * Writes NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_VERSION, NEO4J_HOME, NEO4J_CONF, NEO4J_JAVA,
 * NEO4J_ADMIN (a `neo4j-admin` wrapper with the same jars and configuration), NEO4J_ADMIN_CLASSPATH,
 * NEO4J_APOC (APOC's version, or `none`), NEO4J_CYPHER_SHELL_JAVA and NEO4J_CYPHER_SHELL_CLASSPATH (cypher-shell
 * from Maven Central, see `../neo4j/cypher-shell.ts`). `STACKVAULT_NEO4J_FLAVOUR=calver` runs Neo4j's
 * calendar-versioned line on Java 25 instead (without APOC); switching flavour starts from an empty store.
 * On community edition `neo4j-admin database dump|load` need the server stopped: see `../neo4j/control.ts`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import neo4j from "neo4j-driver";
import { EngineError } from "../../../src/core/errors.ts";
import { neo4jHome, neo4jProcessEnv, prepareHome, JVM_FLAGS } from "../neo4j/home.ts";
import { installCypherShell } from "../neo4j/cypher-shell.ts";
import { installNeo4j, selectedFlavour } from "../neo4j/install.ts";
import type { ProcessRecord } from "../process.ts";
import { isAlive, recordOf, signalGroup, sleep, tailFile, tcpOpen } from "../process.ts";
import type { TestService } from "../service.ts";

/** How long a stop waits after SIGTERM: a store killed mid-checkpoint needs recovery, which dump refuses. */
export const NEO4J_STOP_TIMEOUT_MS = 90_000;

const neo4jService: TestService = {
  name: "neo4j",
  stopTimeoutMs: NEO4J_STOP_TIMEOUT_MS,
  async install(ctx) {
    await installNeo4j(ctx, selectedFlavour());
    await installCypherShell(ctx);
  },
  async start(ctx) {
    const began = Date.now();
    const flavour = selectedFlavour();
    const install = await installNeo4j(ctx, flavour);
    const shell = await installCypherShell(ctx);
    const paths = neo4jHome(ctx.stateDir);
    const running = readPidRecord(ctx.stateDir);
    if (running !== undefined && isAlive(running)) {
      throw new EngineError(`neo4j is already running from ${ctx.stateDir} (pid ${running.pid})`, {
        hint: "stop it first with `npm run services -- stop neo4j`",
      });
    }
    const port = await choosePort(ctx.stateDir, ctx.freePort);
    const password = await prepareHome(ctx, install, flavour.version, port);
    const args = [
      "-Xms256m",
      "-Xmx1g",
      "-XX:+UseG1GC",
      "-XX:+ExitOnOutOfMemoryError",
      ...JVM_FLAGS,
      "-cp",
      install.classpath,
      flavour.entryPoint,
      `--home-dir=${paths.home}`,
      `--config-dir=${paths.conf}`,
    ];
    const pid = await ctx.spawn(install.java, args, { env: neo4jProcessEnv(paths), cwd: paths.home });
    writeFileSync(path.join(ctx.stateDir, "neo4j.pid"), `${JSON.stringify(recordOf(pid))}\n`);
    const uri = `bolt://127.0.0.1:${port}`;
    try {
      await ctx.waitFor("neo4j Bolt (RETURN 1)", () => query(uri, password, "RETURN 1 AS one"), 180_000);
      const version = await query(uri, password, "CALL dbms.components() YIELD versions RETURN versions[0]");
      if (version !== flavour.version) throw new EngineError(`the server says it is Neo4j ${String(version)}, expected ${flavour.version}`);
      const apoc = flavour.apoc ? await query(uri, password, "RETURN apoc.version() AS version") : flavour.version;
      if (apoc !== flavour.version) throw new EngineError(`APOC answered version ${String(apoc)}, expected ${flavour.version}`);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new EngineError(`neo4j did not become ready: ${why}\n--- ${paths.userLog} ---\n${tailFile(paths.userLog, 20)}`, { cause: error });
    }
    ctx.log(`neo4j: ${flavour.version} ready on ${uri} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return {
      env: {
        NEO4J_URI: uri,
        NEO4J_USER: "neo4j",
        NEO4J_PASSWORD: password,
        NEO4J_VERSION: flavour.version,
        NEO4J_HOME: paths.home,
        NEO4J_CONF: paths.conf,
        NEO4J_JAVA: install.java,
        NEO4J_ADMIN: paths.admin,
        NEO4J_ADMIN_CLASSPATH: install.classpath,
        NEO4J_APOC: flavour.apoc ? flavour.version : "none",
        NEO4J_CYPHER_SHELL_JAVA: shell.java,
        NEO4J_CYPHER_SHELL_CLASSPATH: shell.classpath,
      },
      pids: [pid],
      logs: [paths.userLog, ctx.logFile],
    };
  },
  async stop(ctx, started) {
    // The pid file is authoritative (a restart through ../neo4j/control.ts replaces the process); recorded
    // pids without it are signalled only while they still are a Neo4j server.
    const current = readPidRecord(ctx.stateDir);
    const records = current !== undefined ? [current] : started.pids.filter(isNeo4jServer).map((pid) => recordOf(pid));
    const alive = records.filter(isAlive);
    for (const record of alive) signalGroup(record.pid, "SIGTERM");
    const deadline = Date.now() + NEO4J_STOP_TIMEOUT_MS;
    while (Date.now() < deadline && alive.some(isAlive)) await sleep(200);
    const stubborn = alive.filter(isAlive);
    if (stubborn.length > 0) {
      ctx.log(`neo4j: pid ${stubborn.map((r) => r.pid).join(", ")} ignored SIGTERM for ${NEO4J_STOP_TIMEOUT_MS / 1000} s; killing (the store will need recovery)`);
      for (const record of stubborn) signalGroup(record.pid, "SIGKILL");
    }
  },
};
export default neo4jService;

// --- internal ---

/** The pid file written at start: `{ pid, startTime }`, so a reused pid is never mistaken for the server. */
function readPidRecord(stateDir: string): ProcessRecord | undefined {
  const file = path.join(stateDir, "neo4j.pid");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** The previous run's port when nothing listens on it (coordinates stay valid), else a fresh free one. */
async function choosePort(stateDir: string, freePort: () => Promise<number>): Promise<number> {
  const file = path.join(stateDir, "port");
  const previous = existsSync(file) ? Number.parseInt(readFileSync(file, "utf8"), 10) : Number.NaN;
  const port = Number.isInteger(previous) && previous > 0 && !(await tcpOpen("127.0.0.1", previous)) ? previous : await freePort();
  writeFileSync(file, `${port}\n`);
  return port;
}

/** Runs one auto-commit query (no driver retries) and resolves with the first column of the first row. */
async function query(uri: string, password: string, cypher: string): Promise<unknown> {
  const driver = neo4j.driver(uri, neo4j.auth.basic("neo4j", password), { connectionTimeout: 3000, maxConnectionPoolSize: 1 });
  try {
    const session = driver.session();
    try {
      const result = await session.run(cypher);
      return result.records[0]?.get(0) ?? false;
    } finally {
      await session.close();
    }
  } finally {
    await driver.close();
  }
}

function isNeo4jServer(pid: number): boolean {
  try {
    return /org\.neo4j\.server\.(CommunityEntryPoint|Neo4jCommunity)/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return false;
  }
}
