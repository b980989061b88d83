/**
 * cypher-shell, the program the Neo4j distribution's `cypher-shell` launcher runs, from Maven Central
 * (`org.neo4j:cypher-shell`, see `cypher-shell/pom.xml`), copied with its libraries by
 * `maven-dependency-plugin` into `<cacheDir>/cypher-shell-<version>/lib` (Maven's `~/.m2` cache below it).
 * The Neo4j server jars do not include it. Run it as `java -cp <classpath> org.neo4j.shell.Main …`, with the
 * password in the `NEO4J_PASSWORD` environment variable (never in argv).
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { HarnessContext } from "../service.ts";
import { withInstallLock } from "../install-lock.ts";
import { mvn, NEO4J_5_26 } from "./install.ts";

/** The pinned cypher-shell: the newest 5.26 on Maven Central; it speaks Bolt 5 to 5.26 and later servers. */
export const CYPHER_SHELL_VERSION = "5.26.0";

/** Its main class. */
export const CYPHER_SHELL_MAIN = "org.neo4j.shell.Main";

/** An installed cypher-shell. */
export interface CypherShellInstall {
  /** The Java 17 that runs it. */
  java: string;
  /** `lib/*` of the installation. */
  classpath: string;
}

/**
 * Installs cypher-shell unless its marker file says it is complete (build in a sibling folder, rename, then
 * marker, so an interrupted install is redone). Rejects with an ExecError when Maven fails.
 */
export async function installCypherShell(ctx: HarnessContext): Promise<CypherShellInstall> {
  const dir = path.join(ctx.cacheDir, `cypher-shell-${CYPHER_SHELL_VERSION}`);
  const marker = path.join(dir, ".installed");
  const install = { java: path.join(NEO4J_5_26.javaHome, "bin", "java"), classpath: path.join(dir, "lib", "*") };
  if (existsSync(marker)) return install;
  return withInstallLock(`${dir}.lock`, `cypher-shell ${CYPHER_SHELL_VERSION}`, ctx.log, async () => {
    if (existsSync(marker)) return install;
    const began = Date.now();
    ctx.log(`cypher-shell: installing ${CYPHER_SHELL_VERSION} from Maven Central into ${dir}`);
    const building = `${dir}.partial`;
    rmSync(building, { recursive: true, force: true });
    const pom = path.join(ctx.root, "test", "harness", "neo4j", "cypher-shell", "pom.xml");
    await mvn(
      ["-B", "-q", "-f", pom, `-Dcypher-shell.version=${CYPHER_SHELL_VERSION}`, "dependency:copy-dependencies", `-DoutputDirectory=${path.join(building, "lib")}`, "-DincludeScope=runtime"],
      { javaHome: NEO4J_5_26.javaHome, signal: ctx.signal },
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(building, dir);
    writeFileSync(marker, `${CYPHER_SHELL_VERSION}\n`);
    ctx.log(`cypher-shell: installed ${CYPHER_SHELL_VERSION} in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    return install;
  });
}
