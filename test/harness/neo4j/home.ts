/**
 * The Neo4j home of one harness run under the service's state folder: `home/conf` (rewritten at every
 * start), `home/{data,logs,run,import}` (kept, so data survives a restart), the generated password
 * (`password`, mode 600, kept with the data it belongs to) and a `bin/neo4j-admin` wrapper running
 * `org.neo4j.cli.AdminTool` with the same jars, JDK and configuration as the server.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import path from "node:path";
import { ExecError } from "../../../src/core/errors.ts";
import { registerSecret } from "../../../src/core/redact.ts";
import type { HarnessContext } from "../service.ts";
import type { Neo4jInstall } from "./install.ts";

/** JVM flags Neo4j 5 needs on Java 17+ (its launcher passes the same). */
export const JVM_FLAGS = [
  "--add-opens=java.base/java.nio=ALL-UNNAMED",
  "--add-opens=java.base/java.io=ALL-UNNAMED",
  "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
  "--add-opens=java.base/java.lang=ALL-UNNAMED",
  "--enable-native-access=ALL-UNNAMED",
  "-Dfile.encoding=UTF-8",
];

/** The files and folders of one run. */
export interface Neo4jHome {
  home: string;
  conf: string;
  data: string;
  logs: string;
  /** `neo4j.log` of the server: where start-up failures are explained. */
  userLog: string;
  passwordFile: string;
  /** Executable wrapper: `neo4j-admin <args>` with the harness's jars, JDK and configuration. */
  admin: string;
}

/** Paths of the home in `stateDir` (nothing is created). */
export function neo4jHome(stateDir: string): Neo4jHome {
  const home = path.join(stateDir, "home");
  return {
    home,
    conf: path.join(home, "conf"),
    data: path.join(home, "data"),
    logs: path.join(home, "logs"),
    userLog: path.join(home, "logs", "neo4j.log"),
    passwordFile: path.join(stateDir, "password"),
    admin: path.join(stateDir, "bin", "neo4j-admin"),
  };
}

/** The environment the server and `neo4j-admin` run with. */
export function neo4jProcessEnv(paths: Neo4jHome): NodeJS.ProcessEnv {
  return { ...process.env, NEO4J_HOME: paths.home, NEO4J_CONF: paths.conf };
}

/**
 * Prepares the home of Neo4j `version` for a start on `port` (a home of another version is wiped first):
 * writes the configuration and the admin wrapper, and, when the
 * store has no password yet (first start, or a password file lost), wipes the data, generates a random
 * password and sets it with `neo4j-admin dbms set-initial-password`. The password reaches that tool only
 * as a picocli argument file (`@file`), never in any process's argv. Resolves with the password.
 */
export async function prepareHome(ctx: HarnessContext, install: Neo4jInstall, version: string, port: number): Promise<string> {
  const paths = neo4jHome(ctx.stateDir);
  const versionFile = path.join(paths.home, "version");
  if (existsSync(versionFile) && readFileSync(versionFile, "utf8").trim() !== version) {
    ctx.log(`neo4j: the store in ${paths.home} belongs to another Neo4j version; starting from an empty store`);
    rmSync(paths.home, { recursive: true, force: true });
    rmSync(paths.passwordFile, { force: true });
  }
  for (const dir of [paths.conf, paths.data, paths.logs, path.join(paths.home, "run"), path.join(paths.home, "import"), path.dirname(paths.admin)]) {
    mkdirSync(dir, { recursive: true });
  }
  writeFileSync(versionFile, `${version}\n`);
  writeFileSync(path.join(paths.conf, "neo4j.conf"), neo4jConf(paths, install, port));
  writeFileSync(path.join(paths.conf, "apoc.conf"), APOC_CONF);
  writeFileSync(paths.admin, adminScript(paths, install), { mode: 0o755 });
  chmodSync(paths.admin, 0o755);

  const authFile = path.join(paths.data, "dbms", "auth.ini");
  const started = existsSync(path.join(paths.data, "databases"));
  if (existsSync(paths.passwordFile) && (started || existsSync(authFile))) {
    const password = readFileSync(paths.passwordFile, "utf8").trim();
    registerSecret(password);
    return password;
  }
  if (started) ctx.log("neo4j: the store has no known password; starting from an empty store");
  rmSync(paths.data, { recursive: true, force: true });
  mkdirSync(paths.data, { recursive: true });
  // Hex: no whitespace, quote, '#' or leading '-' that picocli's argument-file parser would interpret.
  const password = randomBytes(18).toString("hex");
  registerSecret(password);
  writeFileSync(paths.passwordFile, password, { mode: 0o600 });
  chmodSync(paths.passwordFile, 0o600);
  await admin(install, paths, ["dbms", "set-initial-password", `@${paths.passwordFile}`], ctx.signal);
  if (!existsSync(authFile)) throw new ExecError(`neo4j-admin dbms set-initial-password wrote no ${authFile}`);
  return password;
}

// --- internal ---

/** APOC's own settings (unknown keys in neo4j.conf fail Neo4j's strict validation). */
const APOC_CONF = ["apoc.export.file.enabled=true", "apoc.import.file.enabled=true", "apoc.import.file.use_neo4j_config=true", ""].join("\n");

function neo4jConf(paths: Neo4jHome, install: Neo4jInstall, port: number): string {
  return [
    "# Written by the test harness at every start; edits are lost.",
    `server.directories.data=${paths.data}`,
    `server.directories.logs=${paths.logs}`,
    `server.directories.run=${path.join(paths.home, "run")}`,
    `server.directories.import=${path.join(paths.home, "import")}`,
    `server.directories.plugins=${install.plugins}`,
    `server.directories.lib=${install.lib}`,
    "server.default_listen_address=127.0.0.1",
    "server.bolt.enabled=true",
    `server.bolt.listen_address=127.0.0.1:${port}`,
    `server.bolt.advertised_address=127.0.0.1:${port}`,
    "server.http.enabled=false",
    "server.https.enabled=false",
    "dbms.security.auth_enabled=true",
    "dbms.usage_report.enabled=false",
    "dbms.security.procedures.unrestricted=apoc.*",
    "server.memory.heap.initial_size=256m",
    "server.memory.heap.max_size=1g",
    "server.memory.pagecache.size=512m",
    "db.tx_log.rotation.retention_policy=2 files",
    // Bolt otherwise waits twice 5 s on shutdown for connections a test server no longer has.
    "internal.server.bolt.connection_shutdown_wait_time=1s",
    "internal.dbms.bolt.netty_server_shutdown_quiet_period=0",
    "",
  ].join("\n");
}

function adminScript(paths: Neo4jHome, install: Neo4jInstall): string {
  const q = (value: string): string => `'${value.replaceAll("'", "'\\''")}'`;
  return [
    "#!/bin/sh",
    "# neo4j-admin of the test Neo4j: same jars, JDK and configuration as the server. Written at every start.",
    `NEO4J_HOME=${q(paths.home)}`,
    `NEO4J_CONF=${q(paths.conf)}`,
    "export NEO4J_HOME NEO4J_CONF",
    `exec ${q(install.java)} -Xmx512m ${JVM_FLAGS.join(" ")} -cp ${q(install.classpath)} org.neo4j.cli.AdminTool "$@"`,
    "",
  ].join("\n");
}

async function admin(install: Neo4jInstall, paths: Neo4jHome, args: string[], signal: AbortSignal): Promise<void> {
  const argv = ["-Xmx256m", ...JVM_FLAGS, "-cp", install.classpath, "org.neo4j.cli.AdminTool", ...args];
  await new Promise<void>((resolve, reject) => {
    execFile(install.java, argv, { env: neo4jProcessEnv(paths), signal }, (error, stdout, stderr) => {
      if (error === null) return resolve();
      const output = `${stdout}\n${stderr}`.trim().split("\n").slice(-10).join("\n");
      reject(new ExecError(`neo4j-admin ${args.slice(0, 2).join(" ")} failed (exit ${String(error.code)})\n${output}`, { cause: error }));
    });
  });
}
