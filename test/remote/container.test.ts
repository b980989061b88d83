/**
 * The `node:22` container fallback over the harness's real sshd: the host's Node is too old, so the agent runs
 * through `docker run` on the compose project's network. No Docker engine here: a recording `docker` stand-in
 * on the host side writes down its argv and runs what the container would (the mounted bundle with a Node
 * 22+), so the backup really happens. Checked: the exact argv, no secret in it, the content backed up; and with
 * the fallback turned off (`remote.containerFallback`), the same host refused before docker runs.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { NODE_FLAGS } from "../../src/core/node-flags.ts";
import { loadConfig } from "../../src/config/load.ts";
import { sshExecutor } from "../../src/exec/ssh.ts";
import { runRemoteCommand } from "../../src/remote/operator.ts";
import { serviceEnv } from "../harness/env.ts";
import { seed, snapshot, startRedis } from "./fixture.ts";
import type { PrivateRedis } from "./fixture.ts";

const password = `pw-${randomBytes(12).toString("hex")}`;
let dir: string;
let source: PrivateRedis;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-container-"));
  source = await startRedis(password);
  await seed(source, "container");
});

after(async () => {
  await source?.stop();
  await rm(dir, { recursive: true, force: true });
});

test("no Node.js 22 on the host: the agent runs in node:22 on the compose network, the job on stdin, no secret in docker's argv", async () => {
  const { oldNode, docker, record } = await standIns();

  const target = `file://${dir}/backups`;
  const config = await configFor(target, oldNode);
  const executor = hostSsh();
  const logs: string[] = [];
  try {
    const result = await runRemoteCommand({ command: "backup", options: {}, config, env: {}, executor, docker, sink: (e) => void (e.type === "log" && logs.push(e.message)) });
    assert.match(String((result.doc as { backupId?: string }).backupId), /^\d{4}-\d\d-\d\dT/);
  } finally {
    await executor.close();
  }
  assert.ok(logs.some((l) => /running there with a node:22 container on network knowbase_default \(no Node\.js 22\+ on the host\)/.test(l)), logs.join("\n"));

  const argv = (await readFile(record, "utf8")).split("\0").slice(0, -1);
  const bundle = (await readdir(path.join(dir, "host-cache"))).find((f) => f.endsWith(".mjs"));
  assert.deepEqual(argv, ["run", "--rm", "-i", "--init", "--network", "knowbase_default", "--volume", `${path.join(dir, "host-cache", bundle ?? "?")}:/stackvault/agent.mjs:ro`, "--env", "MALLOC_ARENA_MAX=2", "--env", "MALLOC_MMAP_THRESHOLD_=131072", "node:22", "node", ...NODE_FLAGS, "/stackvault/agent.mjs", "agent", "run", "--json"]);
  assert.ok(!argv.join(" ").includes(password), "the secret is not in docker's argv");

  const manifests = await readdir(path.join(dir, "backups", "stacks", "container-src"));
  assert.ok(manifests.includes("latest"), manifests.join(", "));
  assert.ok((await snapshot(source)).size >= 21);
});

test("with --no-container-fallback, a host without Node.js 22 is refused and docker never runs", async () => {
  const { oldNode, docker, record } = await standIns();
  await rm(record, { force: true });
  const target = `file://${dir}/backups-no-fallback`;
  const executor = hostSsh();
  try {
    const config = await configFor(target, oldNode, { "container-fallback": false });
    assert.equal(config.remote.containerFallback, false);
    await assert.rejects(runRemoteCommand({ command: "backup", options: {}, config, env: {}, executor, docker, sink: () => {} }), (err: unknown) => {
      const e = err as { code?: string; message?: string; hint?: string };
      assert.equal(e.code, "EXEC");
      assert.match(e.message ?? "", /Node\.js on ssh:\/\/\S+ is v18\.20\.4; the agent needs 22 or newer, and the node:22 container fallback is off \(--no-container-fallback\)/);
      assert.match(e.hint ?? "", /--host-node/);
      return true;
    });
  } finally {
    await executor.close();
  }
  await assert.rejects(stat(record), { code: "ENOENT" }, "docker was never called");
  await assert.rejects(stat(path.join(dir, "backups-no-fallback")), { code: "ENOENT" }, "nothing was backed up");
});

// --- internal ---

/** An "old" Node (prints v18.20.4) and a `docker` stand-in on the host side; `record` receives docker's argv. */
async function standIns(): Promise<{ oldNode: string; docker: string; record: string }> {
  const oldNode = path.join(dir, "old-node");
  await writeFile(oldNode, "#!/bin/sh\necho v18.20.4\n");
  await chmod(oldNode, 0o755);
  const record = path.join(dir, "docker-argv");
  const docker = path.join(dir, "docker");
  // Records argv (NUL-separated), then does what `docker run … --volume SRC:DST:ro IMAGE node [FLAGS] DST ARGS` would.
  await writeFile(docker, [
    "#!/bin/sh",
    `for a in "$@"; do printf '%s\\0' "$a"; done > '${record}'`,
    'src=""; while [ $# -gt 0 ]; do case "$1" in --volume) src="${2%%:*}"; shift 2;; node:22) shift; break;; *) shift;; esac; done',
    // Node's own flags (those before the bundle's path) go to node, as in the image.
    '[ "$1" = node ] || exit 125; shift; flags=""; while [ "${1#--}" != "$1" ]; do flags="$flags $1"; shift; done; shift',
    `exec '${process.execPath}' $flags "$src" "$@"`,
  ].join("\n"));
  await chmod(docker, 0o755);
  return { oldNode, docker, record };
}

function configFor(target: string, hostNode: string, extra: Record<string, unknown> = {}) {
  return loadConfig({
    cwd: dir,
    env: { REDIS_PASSWORD: password },
    argvFlags: { stack: "container-src", target, "skip-neo4j": true, "skip-qdrant": true, "redis-url": source.url, "services-controller": "none", "compose-project": "knowbase", "host-node": hostNode, "host-cache-dir": path.join(dir, "host-cache"), ...extra },
  });
}

function hostSsh() {
  return sshExecutor({ host: serviceEnv("SSH_HOST"), port: Number(serviceEnv("SSH_PORT")), username: serviceEnv("SSH_USER"), privateKeyFile: serviceEnv("SSH_KEY_FILE"), knownHostsFile: serviceEnv("SSH_KNOWN_HOSTS") });
}
