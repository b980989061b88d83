import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ExecError } from "../../src/core/errors.ts";
import type { Executor } from "../../src/exec/executor.ts";
import { localExecutor } from "../../src/exec/local.ts";
import { composeController } from "../../src/services/compose.ts";

const fakeDocker = path.join(path.dirname(fileURLToPath(import.meta.url)), "fake-docker");

async function setup(states: Record<string, string>, extraEnv: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-compose-"));
  for (const [service, state] of Object.entries(states)) await writeFile(path.join(dir, service), state);
  const local = localExecutor();
  const executor: Executor = { ...local, run: (p, a, o = {}) => local.run(p, a, { ...o, env: { FAKE_DOCKER_STATE: dir, ...extraEnv, ...o.env } }) };
  const controller = composeController({ executor, project: "knowbase", docker: fakeDocker });
  const calls = async () => (await readFile(path.join(dir, "calls.log"), "utf8")).trim().split("\n");
  const state = async (service: string) => (await readFile(path.join(dir, service), "utf8")).trim();
  return { controller, calls, state };
}

test("compose: stop returns a restart that starts exactly the services it stopped, once", async () => {
  const { controller, calls, state } = await setup({ worker: "running", app: "exited" });
  const restart = await controller.stop(["worker", "app"], { timeoutMs: 60_000 });
  assert.equal(await state("worker"), "exited");
  assert.ok((await calls()).includes("compose -p knowbase stop -t 60 worker"));
  assert.ok(!(await calls()).some((c) => c.includes("stop -t 60 app")), "a stopped service is not stopped again");
  await restart();
  await restart();
  assert.equal(await state("worker"), "running");
  assert.equal(await state("app"), "exited", "a service that was not running is not started");
  assert.equal((await calls()).filter((c) => c.includes(" start ")).length, 1);
});

test("compose: when stopping fails, the services already stopped are restarted before the error", async () => {
  const { controller, state } = await setup({ worker: "running", app: "running" }, { FAIL_STOP: "app" });
  await assert.rejects(controller.stop(["worker", "app"]), (err: unknown) => err instanceof ExecError && /cannot stop app/.test(err.message));
  assert.equal(await state("worker"), "running");
});

test("compose: waitHealthy waits for health and names the services that never got there", async () => {
  const { controller } = await setup({ worker: "running", app: "starting" });
  await controller.waitHealthy(["worker"], { timeoutMs: 5000 });
  await assert.rejects(controller.waitHealthy(["worker", "app"], { timeoutMs: 1500 }), (err: unknown) => err instanceof ExecError && /not healthy.*app/.test(err.message));
  assert.equal(await controller.isRunning("worker"), true);
  assert.equal(await controller.isRunning("missing"), false);
});
