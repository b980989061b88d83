/**
 * The single-file agent bundle: built on demand from the checkout (and not rebuilt while the sources are
 * unchanged), runs on its own with Node, and its `agent run` speaks the JSON-lines protocol — a bad job is a
 * typed error document, a job's secret never shows in its output.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { recordedSourceHash, sourceHash } from "../../src/remote/build.ts";
import { agentBundle, packageRoot } from "../../src/remote/bundle.ts";
import { createJob } from "../../src/remote/job.ts";

function runNode(args: string[], stdin: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? "", HOME: cwd }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

test("the bundle is built from the checkout's sources, kept while they are unchanged, and runs on its own", async () => {
  const root = packageRoot();
  const bundle = await agentBundle(root);
  assert.equal(await recordedSourceHash(bundle.file), await sourceHash(root));
  const again = await agentBundle(root);
  assert.equal(again.built, false, "unchanged sources: no rebuild");
  assert.equal(again.sha256, bundle.sha256);

  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-bundle-"));
  try {
    const version = await runNode([bundle.file, "--version"], "", dir);
    assert.equal(version.code, 0, version.stderr);
    const pkg = JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { version: string };
    assert.equal(version.stdout.trim(), pkg.version);

    const bad = await runNode([bundle.file, "agent", "run", "--json"], "this is not a job\n", dir);
    assert.equal(bad.code, 7, bad.stderr);
    assert.deepEqual(JSON.parse(bad.stdout.trim()), {
      type: "error", code: "INTEGRITY", exitCode: 7, message: "The job on standard input is not JSON.", hint: "`agent run` is started by stackvault itself (backup/restore --host).",
    });

    // A job whose store cannot be reached: the error comes back as a document, the secret nowhere.
    const secret = "s3cr3t-value-for-the-job";
    const config = await loadConfig({ cwd: dir, env: { REDIS_PASSWORD: secret }, argvFlags: { stack: "bundle-test", target: `file://${dir}/b`, "skip-neo4j": true, "skip-qdrant": true, "redis-url": "redis://127.0.0.1:1", "services-controller": "none" } });
    const job = { ...createJob("backup", {}, config), control: false };
    const run = await runNode([bundle.file, "agent", "run", "--json"], `${JSON.stringify(job)}\n`, dir);
    assert.notEqual(run.code, 0);
    const lines = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; code?: string });
    assert.equal(lines[lines.length - 1]?.type, "error", run.stdout);
    assert.ok(lines.some((l) => l.type === "step"), "events came first");
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
