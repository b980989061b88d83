/**
 * Stops and starts the shared test Neo4j through the harness's own command (`node test/harness/cli.ts
 * stop|start neo4j`), and re-reads its coordinates afterwards (a restart may pick another port).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Runs `node test/harness/cli.ts <command> <service>`; rejects with its output on failure. */
export async function harness(command: "stop" | "start", service: string): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(root, "test/harness/cli.ts"), command, service], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
}

/** The Neo4j coordinates now in `.cache/services/env` (also copied into `process.env`). */
export function reloadEnv(): { uri: string; user: string; password: string } {
  const file = path.join(root, ".cache/services/env");
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  for (const key of ["NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD"]) if (env[key]) process.env[key] = env[key];
  const { NEO4J_URI: uri, NEO4J_USER: user, NEO4J_PASSWORD: password } = env;
  if (!uri || !password) throw new Error(`${file} has no NEO4J_URI/NEO4J_PASSWORD after the restart`);
  return { uri, user: user ?? "neo4j", password };
}
