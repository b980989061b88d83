/**
 * Loads the test services' coordinates (`.cache/services/env` of this checkout, written by
 * `npm run services -- start`) into `process.env`, without overriding what is already set, so that a benchmark
 * runs without `set -a; . .cache/services/env`. Returns false when the file is missing.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const SERVICES_ENV = fileURLToPath(new URL("../../.cache/services/env", import.meta.url));

export function loadServicesEnv(): boolean {
  if (!existsSync(SERVICES_ENV)) return false;
  for (const line of readFileSync(SERVICES_ENV, "utf8").split("\n")) {
    const at = line.indexOf("=");
    if (at <= 0) continue;
    const name = line.slice(0, at);
    if (process.env[name] === undefined) process.env[name] = line.slice(at + 1);
  }
  return true;
}
