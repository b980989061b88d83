/**
 * The pinned Neo4j of the test harness and its installation from Maven Central: the community server jars
 * (`org.neo4j:neo4j`, `org.neo4j.app:neo4j-server`) and APOC core at the same version, copied by
 * `maven-dependency-plugin` (Maven's own `~/.m2` cache) into `<cacheDir>/neo4j-<version>/{lib,plugins}`.
 *
 * APOC core is taken without the `core` classifier, which Maven Central does not carry for the 5.26 patch
 * releases; `apoc-common` and the libraries both need come along and are mediated with the server's own.
 * The newest 5.26 patch that has an APOC core of the same version on Maven Central is pinned, because APOC
 * is only promised to work on the Neo4j version it was built for. A second flavour, Neo4j's calendar-versioned
 * line on Java 25, is selected with `STACKVAULT_NEO4J_FLAVOUR=calver` (no APOC: none on Maven Central).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ExecError } from "../../../src/core/errors.ts";
import type { HarnessContext } from "../service.ts";
import { withInstallLock } from "../install-lock.ts";

/** A Neo4j release and the JDK that runs it. */
export interface Neo4jFlavour {
  version: string;
  /** The JDK home (`bin/java` inside). */
  javaHome: string;
  /** The server's main class. */
  entryPoint: string;
  /** Whether APOC core of the same version is installed (Maven Central has it for the 5.x line only). */
  apoc: boolean;
}

/** Neo4j 5.26 LTS with Java 17 (5.26 supports Java 17 and 21), with APOC core. The default flavour. */
export const NEO4J_5_26: Neo4jFlavour = {
  version: "5.26.19",
  javaHome: path.join(path.sep, "usr", "lib", "jvm", "java-17-openjdk-amd64"),
  entryPoint: "org.neo4j.server.CommunityEntryPoint",
  apoc: true,
};

/** Neo4j's calendar-versioned line (2025.x and later) with Java 25, without APOC. */
export const NEO4J_CALVER: Neo4jFlavour = {
  version: "2026.08.1",
  javaHome: path.join(path.sep, "usr", "lib", "jvm", "temurin-25-jdk-amd64"),
  entryPoint: "org.neo4j.server.Neo4jCommunity",
  apoc: false,
};

/**
 * The flavour named by `STACKVAULT_NEO4J_FLAVOUR`: `5.26` (default) or `calver`. Throws on anything else.
 */
export function selectedFlavour(env: NodeJS.ProcessEnv = process.env): Neo4jFlavour {
  const name = env.STACKVAULT_NEO4J_FLAVOUR ?? "5.26";
  if (name === "" || name === "5.26") return NEO4J_5_26;
  if (name === "calver") return NEO4J_CALVER;
  throw new ExecError(`unknown STACKVAULT_NEO4J_FLAVOUR ${JSON.stringify(name)}`, { hint: "use 5.26 (the default) or calver" });
}

/** Where one version is installed: `lib/` holds the server, `plugins/` APOC. */
export interface Neo4jInstall {
  dir: string;
  lib: string;
  plugins: string;
  java: string;
  /** The classpath of the server and of `neo4j-admin`: APOC first, then the server (`plugins/*:lib/*`). */
  classpath: string;
}

/** The installation folder of `flavour` under the harness cache (whether it exists yet or not). */
export function neo4jInstall(cacheDir: string, flavour: Neo4jFlavour): Neo4jInstall {
  const dir = path.join(cacheDir, `neo4j-${flavour.version}`);
  const lib = path.join(dir, "lib");
  const plugins = path.join(dir, "plugins");
  return {
    dir,
    lib,
    plugins,
    java: path.join(flavour.javaHome, "bin", "java"),
    classpath: `${path.join(plugins, "*")}${path.delimiter}${path.join(lib, "*")}`,
  };
}

/**
 * Installs `flavour` unless its marker file says it is complete. Builds into a temporary sibling folder and
 * renames it into place, then writes the marker, so an interrupted install is redone, never half-used.
 * Rejects with {@link ExecError} when the JDK or Maven is missing or Maven fails (its last lines included).
 */
export async function installNeo4j(ctx: HarnessContext, flavour: Neo4jFlavour): Promise<Neo4jInstall> {
  const install = neo4jInstall(ctx.cacheDir, flavour);
  const marker = path.join(install.dir, ".installed");
  if (existsSync(marker)) return install;
  if (!existsSync(install.java)) {
    throw new ExecError(`Neo4j ${flavour.version} needs the JDK at ${flavour.javaHome}, which is missing`, {
      hint: "install it with apt-get install openjdk-17-jdk-headless",
    });
  }
  return withInstallLock(`${install.dir}.lock`, `Neo4j ${flavour.version}`, ctx.log, async () => {
    if (existsSync(marker)) return install;
    await build(ctx, flavour, install);
    writeFileSync(marker, `${flavour.version}\n`);
    return install;
  });
}

/** Fetches `flavour` with Maven into a sibling folder, then renames it to `install.dir`. */
async function build(ctx: HarnessContext, flavour: Neo4jFlavour, install: Neo4jInstall): Promise<void> {
  const began = Date.now();
  ctx.log(`neo4j: installing ${flavour.version} from Maven Central into ${install.dir}`);
  const building = `${install.dir}.partial`;
  rmSync(building, { recursive: true, force: true });
  const pom = path.join(ctx.root, "test", "harness", "neo4j", "pom.xml");
  await mvn(
    [
      "-B",
      "-q",
      "-f",
      pom,
      ...(flavour.apoc ? [] : ["-P", "!apoc"]),
      `-Dneo4j.version=${flavour.version}`,
      "dependency:copy-dependencies",
      `-DoutputDirectory=${path.join(building, "lib")}`,
      "-DincludeScope=runtime",
    ],
    { javaHome: flavour.javaHome, signal: ctx.signal },
  );
  const plugins = path.join(building, "plugins");
  mkdirSync(plugins, { recursive: true });
  const apoc = readdirSync(path.join(building, "lib")).filter((name) => /^apoc-(core|common)-.*\.jar$/.test(name));
  if (apoc.length !== (flavour.apoc ? 2 : 0)) throw new ExecError(`Maven did not fetch APOC core ${flavour.version} (found: ${apoc.join(", ") || "nothing"})`);
  for (const jar of apoc) renameSync(path.join(building, "lib", jar), path.join(plugins, jar));
  rmSync(install.dir, { recursive: true, force: true });
  renameSync(building, install.dir);
  ctx.log(`neo4j: installed ${flavour.version} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

/** Runs Maven with `javaHome`; rejects with {@link ExecError} carrying Maven's last lines. */
export async function mvn(args: string[], options: { javaHome: string; signal: AbortSignal }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      "mvn",
      args,
      { env: { ...process.env, JAVA_HOME: options.javaHome }, signal: options.signal, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) return resolve();
        const output = `${stdout}\n${stderr}`.trim().split("\n").slice(-15).join("\n");
        reject(
          new ExecError(`mvn could not fetch from Maven Central (${error.message.split("\n")[0]})\n${output}`, {
            cause: error,
            hint: "check that Maven (apt-get install maven) and Maven Central are reachable",
          }),
        );
      },
    );
  });
}
