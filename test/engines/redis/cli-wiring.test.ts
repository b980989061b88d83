/**
 * How the command line builds the Redis engine: the database selection and CA file reach it, and the file
 * restore mode needs a services controller to stop and start Redis.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { configuredEngines } from "../../../src/cli/engines.ts";
import { loadConfig } from "../../../src/config/load.ts";

async function engines(flags: Record<string, unknown>, command: string): Promise<unknown[]> {
  const config = await loadConfig({ cwd: "/", env: {}, argvFlags: { "skip-neo4j": true, "skip-qdrant": true, ...flags } });
  return configuredEngines(config, command, () => undefined);
}

test("the file restore mode needs a services controller; backups ignore the restore mode", async () => {
  await assert.rejects(engines({ "redis-restore-mode": "file", "services-controller": "none" }, "restore"), (err) => err instanceof ConfigError && /services controller/.test(err.message));
  assert.equal((await engines({ "redis-restore-mode": "file", "services-controller": "systemd" }, "restore")).length, 1);
  assert.equal((await engines({ "redis-restore-mode": "file", "services-controller": "none" }, "backup")).length, 1);
  assert.equal((await engines({ "redis-dbs": "0,3" }, "backup")).length, 1);
  await assert.rejects(engines({ "redis-tls-ca-file": "/nonexistent/ca.pem" }, "backup"), /Cannot read the Redis TLS CA file/);
});
