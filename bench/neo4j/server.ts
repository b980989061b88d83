/**
 * A private Neo4j + APOC for the benchmark, set up by the test harness's own helpers (same jars, same
 * configuration, random password, Bolt on a free loopback port) in a temporary folder, so that the
 * benchmark never touches the shared test server's data. The heap is a parameter: replaying APOC's script
 * (transactions of 20,000 rows' statements) ran a 1 GiB heap out of memory here. Stopped (SIGTERM, up to 3
 * minutes for a clean shutdown, then SIGKILL) and removed by `stop()`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import neo4j from "neo4j-driver";
import { createContext } from "../../test/harness/context.ts";
import { JVM_FLAGS, neo4jHome, neo4jProcessEnv, prepareHome } from "../../test/harness/neo4j/home.ts";
import { installNeo4j, NEO4J_5_26 } from "../../test/harness/neo4j/install.ts";
import { recordOf, stopProcesses } from "../../test/harness/process.ts";
import { harnessPaths } from "../../test/harness/state.ts";

export interface PrivateNeo4j {
  uri: string;
  user: string;
  password: string;
  version: string;
  stop(): Promise<void>;
}

/** Starts Neo4j 5.26 + APOC with `heap` (e.g. `2g`); installs nothing new when the harness cached the jars. */
export async function startPrivateNeo4j(heap: string, log: (message: string) => void): Promise<PrivateNeo4j> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-bench-neo4j-"));
  const { ctx } = createContext({ ...harnessPaths(), servicesDir: dir }, "neo4j", {}, new AbortController().signal, log);
  const flavour = NEO4J_5_26;
  const install = await installNeo4j(ctx, flavour);
  const paths = neo4jHome(ctx.stateDir);
  const port = await ctx.freePort();
  const password = await prepareHome(ctx, install, flavour.version, port);
  const args = [`-Xms${heap}`, `-Xmx${heap}`, "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError", ...JVM_FLAGS, "-cp", install.classpath, flavour.entryPoint, `--home-dir=${paths.home}`, `--config-dir=${paths.conf}`];
  const pid = await ctx.spawn(install.java, args, { env: neo4jProcessEnv(paths), cwd: paths.home });
  const record = recordOf(pid);
  const stop = async (): Promise<void> => {
    await stopProcesses([record], 180_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const uri = `bolt://127.0.0.1:${port}`;
  try {
    await ctx.waitFor("neo4j Bolt (RETURN 1)", () => ping(uri, password), 300_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { uri, user: "neo4j", password, version: flavour.version, stop };
}

async function ping(uri: string, password: string): Promise<boolean> {
  const driver = neo4j.driver(uri, neo4j.auth.basic("neo4j", password), { connectionTimeout: 3000, maxConnectionPoolSize: 1, logging: { level: "error", logger: () => {} } });
  try {
    const session = driver.session();
    try {
      await session.run("RETURN apoc.version()");
      return true;
    } finally {
      await session.close();
    }
  } catch {
    return false;
  } finally {
    await driver.close();
  }
}
