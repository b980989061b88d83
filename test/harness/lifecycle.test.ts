/**
 * The harness's own lifecycle rules, on throw-away services in a temporary state folder: a second start is
 * a no-op, a dead service restarts with its dependents only, stop ends exactly the recorded processes, and a
 * failed start names the service, its log file and the log's last lines and leaves nothing running.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { serviceEnv } from "./env.ts";
import { isAlive, recordOf, sleep } from "./process.ts";
import type { TestService } from "./service.ts";
import { startServices } from "./start.ts";
import type { HarnessPaths } from "./state.ts";
import { readState } from "./state.ts";
import { printStatus, stopServices } from "./stop.ts";
import { importService } from "./services/index.ts";
import { pathToFileURL } from "node:url";

const idle = ["-e", "setInterval(() => {}, 1000)"];

function fakeService(name: string, after?: string[]): TestService {
  return {
    name,
    after,
    stopTimeoutMs: 5000,
    async install() {},
    async start(ctx) {
      const pid = await ctx.spawn(process.execPath, idle);
      const port = await ctx.freePort();
      return { env: { [`${name.toUpperCase()}_PORT`]: String(port), [`${name.toUpperCase()}_SAW`]: ctx.env.ALPHA_PORT ?? "" }, pids: [pid], logs: [ctx.logFile] };
    },
  };
}

describe("harness lifecycle", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-harness-"));
  const paths: HarnessPaths = {
    root: dir,
    servicesDir: path.join(dir, "services"),
    stateFile: path.join(dir, "services", "state.json"),
    envFile: path.join(dir, "services", "env"),
    cacheDir: path.join(dir, "cache"),
  };
  const signal = new AbortController().signal;
  const messages: string[] = [];
  const log = (m: string): void => void messages.push(m);
  after(async () => {
    await stopServices(paths, [], [], signal, log);
    rmSync(dir, { recursive: true, force: true });
  });

  const alpha = fakeService("alpha");
  const beta = fakeService("beta", ["alpha"]);
  const gamma = fakeService("gamma");
  const services = [alpha, beta, gamma];

  it("starts, writes the env file, and a second start is a no-op", async () => {
    assert.equal(await startServices(paths, services, services, signal, log), true);
    const first = readState(paths);
    const env = readFileSync(paths.envFile, "utf8");
    assert.match(env, new RegExp(`^ALPHA_PORT=${first.services.alpha?.env.ALPHA_PORT}$`, "m"));
    assert.match(env, new RegExp(`^BETA_SAW=${first.services.alpha?.env.ALPHA_PORT}$`, "m"), "beta saw alpha's coordinates");
    assert.equal(await startServices(paths, services, services, signal, log), true);
    assert.deepEqual(readState(paths).services, first.services);
    assert.match(messages.at(-1) ?? "", /already running \(warm start/);
    assert.equal(printStatus(paths, services, log), true);
  });

  it("restarts a dead service and its dependents, nothing else", async () => {
    const before = readState(paths).services;
    const alphaPid = before.alpha!.pids[0]!.pid;
    process.kill(-alphaPid, "SIGKILL");
    while (isAlive(before.alpha!.pids[0]!)) await sleep(50);
    assert.equal(printStatus(paths, services, log), false);
    assert.match(messages.at(-3) ?? "", /^alpha\s+DEAD/);
    assert.equal(await startServices(paths, services, services, signal, log), true);
    const now = readState(paths).services;
    assert.notEqual(now.alpha!.pids[0]!.pid, alphaPid);
    assert.notEqual(now.beta!.pids[0]!.pid, before.beta!.pids[0]!.pid, "beta depends on alpha: restarted");
    assert.deepEqual(now.gamma, before.gamma, "gamma untouched");
    assert.equal(isAlive(before.beta!.pids[0]!), false, "the old beta was stopped");
  });

  it("stops exactly the recorded processes", async () => {
    const stranger = recordOf((await import("node:child_process")).spawn(process.execPath, idle, { stdio: "ignore" }).pid!);
    const recorded = Object.values(readState(paths).services).flatMap((r) => r.pids);
    assert.equal(await stopServices(paths, services, [], signal, log), true);
    assert.deepEqual(recorded.filter(isAlive), []);
    assert.equal(isAlive(stranger), true, "a process the harness did not start survives");
    process.kill(stranger.pid, "SIGKILL");
    assert.deepEqual(readState(paths).services, {});
    assert.equal(readFileSync(paths.envFile, "utf8"), "");
    assert.equal(printStatus(paths, services, log), false);
  });

  it("reports a failed start with the service, its log file and the last lines", async () => {
    let spawned = 0;
    const broken: TestService = {
      name: "broken",
      async install() {},
      async start(ctx) {
        spawned = await ctx.spawn(process.execPath, ["-e", "for (let i = 1; i <= 30; i++) console.error('line ' + i); process.exit(3)"]);
        await ctx.waitFor("broken readiness", async () => false, 20_000);
        throw new Error("unreachable");
      },
    };
    messages.length = 0;
    assert.equal(await startServices(paths, [broken], [broken], signal, log), false);
    const report = messages.find((m) => m.startsWith("services: broken failed to start")) ?? "";
    const logFile = path.join(paths.servicesDir, "broken", "broken.log");
    assert.match(report, /process \d+ exited before it was ready/);
    assert.ok(report.includes(`log file: ${logFile}`), report);
    assert.match(report, /line 30/);
    assert.doesNotMatch(report, /line 5\n/, "only the last lines");
    assert.equal(isAlive(recordOf(spawned)), false);
    assert.equal(readState(paths).services.broken, undefined);
  });
});

describe("service registry", () => {
  it("turns a service module that cannot load into a service that fails under its name", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stackvault-registry-"));
    try {
      const file = path.join(dir, "broken.ts");
      writeFileSync(file, "export default {;\n");
      const service = await importService("neo4j", pathToFileURL(file));
      assert.equal(service.name, "neo4j");
      await assert.rejects(service.install({} as never), new RegExp(`cannot load ${file.replaceAll("/", "\\/")}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("serviceEnv", () => {
  it("returns a set coordinate and names the command when one is missing", () => {
    process.env.STACKVAULT_HARNESS_PROBE = "value";
    assert.equal(serviceEnv("STACKVAULT_HARNESS_PROBE"), "value");
    assert.throws(() => serviceEnv("STACKVAULT_HARNESS_ABSENT"), {
      message: "service coordinate STACKVAULT_HARNESS_ABSENT missing: run `npm run services -- start`",
    });
  });
});
