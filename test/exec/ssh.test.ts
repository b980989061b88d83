import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ExecError } from "../../src/core/errors.ts";
import { sshExecutor } from "../../src/exec/ssh.ts";
import type { SshOptions } from "../../src/exec/ssh.ts";
import { serviceEnv } from "../harness/env.ts";
import { executorContract } from "./contract.ts";

function sshOptions(overrides: Partial<SshOptions> = {}): SshOptions {
  return {
    host: serviceEnv("SSH_HOST"),
    port: Number(serviceEnv("SSH_PORT")),
    username: serviceEnv("SSH_USER"),
    privateKeyFile: serviceEnv("SSH_KEY_FILE"),
    knownHostsFile: serviceEnv("SSH_KNOWN_HOSTS"),
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

executorContract("ssh", async () => sshExecutor(sshOptions()));

test("ssh: an unknown host key is refused, and recorded only when asked", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-known-"));
  const empty = path.join(dir, "known_hosts");
  await writeFile(empty, "");
  const refusing = sshExecutor(sshOptions({ knownHostsFile: empty }));
  await assert.rejects(refusing.run("true", []), (err: unknown) => err instanceof ExecError && /is unknown/.test(err.message));
  await refusing.close();
  const accepting = sshExecutor(sshOptions({ knownHostsFile: empty, acceptNewHostKey: true }));
  assert.equal((await accepting.run("echo", ["ok"])).stdout, "ok\n");
  await accepting.close();
  assert.match(await readFile(empty, "utf8"), /^\[.+\]:\d+ ssh-\S+ \S+\n$/);
  const again = sshExecutor(sshOptions({ knownHostsFile: empty }));
  assert.equal((await again.run("echo", ["again"])).stdout, "again\n");
  await again.close();
});

test("ssh: a changed host key is refused even with acceptNewHostKey", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-known-"));
  const wrong = path.join(dir, "known_hosts");
  const port = Number(serviceEnv("SSH_PORT"));
  // A valid ed25519 key that is not the server's.
  await writeFile(wrong, `[${serviceEnv("SSH_HOST")}]:${port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEqVwJ8eN0p7b4Z0i9M2jJ0rYV4w0s8Yk4l6QG0m1d3G\n`);
  const ex = sshExecutor(sshOptions({ knownHostsFile: wrong, acceptNewHostKey: true }));
  await assert.rejects(ex.run("true", []), (err: unknown) => err instanceof ExecError && /does not match/.test(err.message));
  await ex.close();
});

test("ssh: a closed port gives a clear error naming the host", async () => {
  const ex = sshExecutor(sshOptions({ port: 1, connectTimeoutMs: 3000 }));
  await assert.rejects(ex.run("true", []), (err: unknown) => err instanceof ExecError && err.message.includes(":1"));
  await ex.close();
});
