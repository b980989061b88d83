/**
 * The `node:22` container fallback over the harness's real sshd: the host's Node is too old, so the agent runs
 * through `docker run` on the compose project's network. No Docker engine here: a recording `docker` stand-in
 * on the host side writes down its argv and runs what the container would (the mounted bundle with a Node
 * 22+), so the backup really happens. Checked: the exact argv, no secret in it, the content backed up.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
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
  const oldNode = path.join(dir, "old-node");
  await writeFile(oldNode, "#!/bin/sh\necho v18.20.4\n");
  await chmod(oldNode, 0o755);
  const record = path.join(dir, "docker-argv");
  const docker = path.join(dir, "docker");
  // Records argv (NUL-separated), then does what `docker run … --volume SRC:DST:ro IMAGE node DST ARGS` would.
  await writeFile(docker, [
    "#!/bin/sh",
    `for a in "$@"; do printf '%s\\0' "$a"; done > '${record}'`,
    'src=""; while [ $# -gt 0 ]; do case "$1" in --volume) src="${2%%:*}"; shift 2;; node:22) shift; break;; *) shift;; esac; done',
    '[ "$1" = node ] || exit 125; shift; shift',
    `exec '${process.execPath}' "$src" "$@"`,
  ].join("\n"));
  await chmod(docker, 0o755);

  const target = `file://${dir}/backups`;
  const config = await loadConfig({
    cwd: dir,
    env: { REDIS_PASSWORD: password },
    argvFlags: { stack: "container-src", target, "skip-neo4j": true, "skip-qdrant": true, "redis-url": source.url, "services-controller": "none", "compose-project": "knowbase", "host-node": oldNode, "host-cache-dir": path.join(dir, "host-cache") },
  });
  const executor = sshExecutor({ host: serviceEnv("SSH_HOST"), port: Number(serviceEnv("SSH_PORT")), username: serviceEnv("SSH_USER"), privateKeyFile: serviceEnv("SSH_KEY_FILE"), knownHostsFile: serviceEnv("SSH_KNOWN_HOSTS") });
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
  assert.deepEqual(argv, ["run", "--rm", "-i", "--init", "--network", "knowbase_default", "--volume", `${path.join(dir, "host-cache", bundle ?? "?")}:/stackvault/agent.mjs:ro`, "node:22", "node", "/stackvault/agent.mjs", "agent", "run", "--json"]);
  assert.ok(!argv.join(" ").includes(password), "the secret is not in docker's argv");

  const manifests = await readdir(path.join(dir, "backups", "stacks", "container-src"));
  assert.ok(manifests.includes("latest"), manifests.join(", "));
  assert.ok((await snapshot(source)).size >= 21);
});
