import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { localExecutor } from "../../src/exec/local.ts";
import { commandController } from "../../src/services/command.ts";

test("command: stops and restarts a real process through operator-given commands", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-command-"));
  const pidFile = path.join(dir, "pid");
  const controller = commandController({
    executor: localExecutor(),
    services: {
      sleeper: {
        start: ["sh", "-c", `nohup sleep 1000 >/dev/null 2>&1 & echo $! > '${pidFile}'`],
        status: ["sh", "-c", `kill -0 "$(cat '${pidFile}')" 2>/dev/null`],
        stop: ["sh", "-c", `pid="$(cat '${pidFile}')"; kill -TERM "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done`],
      },
    },
  });
  assert.equal(await controller.isRunning("sleeper"), false);
  await controller.start(["sleeper"]);
  await controller.waitHealthy(["sleeper"], { timeoutMs: 5000 });
  const restart = await controller.stop(["sleeper"], { timeoutMs: 5000 });
  assert.equal(await controller.isRunning("sleeper"), false);
  await restart();
  assert.equal(await controller.isRunning("sleeper"), true);
  const pid = await readFile(pidFile, "utf8");
  await controller.start(["sleeper"]);
  assert.equal(await readFile(pidFile, "utf8"), pid, "starting a running service (recovery after a crash) leaves it alone");
  const finalStop = await controller.stop(["sleeper"]);
  assert.equal(await controller.isRunning("sleeper"), false);
  void finalStop;
});

test("command: an unconfigured service is a configuration error naming it", async () => {
  const controller = commandController({ executor: localExecutor(), services: {} });
  await assert.rejects(controller.stop(["worker"]), /No commands are configured for the service 'worker'/);
});
