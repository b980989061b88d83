/**
 * The `command` service controller from the configuration: commands per service in the config file or as JSON
 * in STACKVAULT_SERVICE_COMMANDS; a run that would need a service without commands stops before touching
 * anything, naming the setting.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { startOwnRedis } from "../engines/redis/own-server.ts";
import { hasStackTrace, runCli } from "./run-cli.ts";

test("the command controller runs the configured commands around a backup", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-svc-cmd-"));
  const trace = path.join(dir, "trace");
  const state = path.join(dir, "running");
  await writeFile(state, "");
  const sh = (script: string) => ["sh", "-c", script];
  const worker = { start: sh(`echo start >> '${trace}'; touch '${state}'`), stop: sh(`echo stop >> '${trace}'; rm -f '${state}'`), status: sh(`[ -f '${state}' ]`) };
  await writeFile(path.join(dir, "stackvault.config.json"), JSON.stringify({ services: { controller: "command", commands: { worker } } }));
  const redis = await startOwnRedis();
  const r = await runCli(["backup", "--stack", "s", "--target", `file://${dir}/b`, "--skip-neo4j", "--skip-qdrant", "--redis-url", redis.url], { cwd: dir }).finally(() => redis.dispose());
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((await readFile(trace, "utf8")).trim().split("\n"), ["stop", "start"]);
  assert.match(r.stdout, /Restarted: worker/);
});

test("commands as JSON in the environment; a service without commands is refused naming the setting", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-svc-cmd-"));
  const commands = JSON.stringify({ worker: { start: ["true"], stop: ["true"], status: ["false"] } });
  const shown = await runCli(["config"], { cwd: dir, env: { STACKVAULT_SERVICE_COMMANDS: commands } });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /services\.commands\s+\{"worker":\{"start":\["true"\]/);
  const restore = await runCli(["restore", "--latest", "--yes", "--stack", "s", "--target", `file://${dir}/b`, "--services-controller", "command", "--skip-neo4j", "--skip-qdrant", "--skip-redis"], { cwd: dir, env: { STACKVAULT_SERVICE_COMMANDS: commands } });
  assert.equal(restore.code, EXIT_CODES.config, restore.stderr);
  assert.match(restore.stderr, /no commands for 'app'/);
  assert.match(restore.stderr, /services\.commands\.app/);
  assert.ok(!hasStackTrace(restore.stderr));
  const bad = await runCli(["config"], { cwd: dir, env: { STACKVAULT_SERVICE_COMMANDS: "{not json" } });
  assert.equal(bad.code, EXIT_CODES.config);
  assert.match(bad.stderr, /STACKVAULT_SERVICE_COMMANDS/);
});
