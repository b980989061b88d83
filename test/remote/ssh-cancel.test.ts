/**
 * Ctrl-C during a remote run: the operator's stackvault asks the host-side run to stop, which cleans up as
 * after its own Ctrl-C; the operator exits 130, the host-side process is gone, `latest` was not moved, and
 * the stack's lock is free for the next run.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { MAIN, runCli } from "../cli/run-cli.ts";
import { hostFlags, startRedis } from "./fixture.ts";
import type { PrivateRedis } from "./fixture.ts";

let dir: string;
let redis: PrivateRedis;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-remote-cancel-"));
  redis = await startRedis();
  // About 300 MB of incompressible values: the backup takes long enough to be interrupted.
  const r = redis.client(0);
  for (let batch = 0; batch < 6; batch++) {
    const p = r.pipeline();
    for (let i = 0; i < 25; i++) p.set(`big:${batch}:${i}`, randomBytes(2 * 1024 * 1024));
    await p.exec();
  }
  r.disconnect();
});

after(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("Ctrl-C during a backup over SSH cancels the run on the host, which cleans up; latest is not moved", async () => {
  const target = `file://${dir}/backups`;
  const args = ["--stack", "remote-cancel", "--target", target, "--skip-neo4j", "--skip-qdrant", "--redis-url", redis.url, "--services-controller", "none", ...hostFlags(path.join(dir, "host-cache"))];
  const child = spawn(process.execPath, [MAIN, "backup", ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "", HOME: dir, NODE_OPTIONS: "--disable-warning=ExperimentalWarning" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let interruptedAt = 0;
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (interruptedAt === 0 && stdout.includes("[5/7]")) {
      interruptedAt = Date.now();
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.ok(interruptedAt > 0, `the run reached step 5 on the host:\n${stdout}\n${stderr}`);
  assert.equal(code, 130, stdout + stderr);
  assert.match(stderr, /error: .*[Cc]ancel/);
  assert.doesNotMatch(stdout, /\[6\/7\]/, "the host-side run stopped at the step it was in");
  assert.ok(Date.now() - interruptedAt < 60_000);

  assert.deepEqual(await agentProcesses(), [], "no host-side run is left");
  const stackDir = path.join(dir, "backups", "stacks", "remote-cancel");
  const entries = await readdir(stackDir).catch(() => [] as string[]);
  assert.ok(!entries.includes("latest"), `latest was not moved: ${entries.join(", ")}`);

  // The lock was released by the cancelled run: the next one goes through (on a small dataset).
  const r = redis.client(0);
  await r.flushall();
  await r.set("small", "value");
  r.disconnect();
  const again = await runCli(["backup", ...args], { cwd: dir, env: { HOME: dir } });
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.ok((await readdir(stackDir)).includes("latest"));
});

// --- internal ---

/** Processes running an agent bundle's `agent run` (the host is this machine). */
async function agentProcesses(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = (await readFile(`/proc/${pid}/cmdline`).catch(() => Buffer.alloc(0))).toString("utf8").split("\0").join(" ");
    if (/agent-[0-9a-f]{64}\.mjs agent run/.test(cmdline) && cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}
