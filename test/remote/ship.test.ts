/**
 * Shipping the agent bundle over the real sshd: uploaded once, kept while its sha256 matches, uploaded again
 * when the copy on the host is damaged; a host Node.js that is missing or too old is reported before any run.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ExecError } from "../../src/core/errors.ts";
import type { Executor } from "../../src/exec/executor.ts";
import { sshExecutor } from "../../src/exec/ssh.ts";
import type { AgentBundle } from "../../src/remote/bundle.ts";
import { shipBundle } from "../../src/remote/ship.ts";
import { serviceEnv } from "../harness/env.ts";

let dir: string;
let executor: Executor;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-ship-"));
  executor = sshExecutor({
    host: serviceEnv("SSH_HOST"),
    port: Number(serviceEnv("SSH_PORT")),
    username: serviceEnv("SSH_USER"),
    privateKeyFile: serviceEnv("SSH_KEY_FILE"),
    knownHostsFile: serviceEnv("SSH_KNOWN_HOSTS"),
  });
});

after(async () => {
  await executor?.close();
  await rm(dir, { recursive: true, force: true });
});

function fakeBundle(): AgentBundle {
  const bytes = Buffer.concat([Buffer.from("// a bundle\n"), randomBytes(3 * 1024 * 1024)]);
  return { file: "(test)", bytes, sha256: createHash("sha256").update(bytes).digest("hex"), built: false };
}

test("the bundle is uploaded once, kept while identical, and uploaded again when the host's copy is damaged", async () => {
  const bundle = fakeBundle();
  const cacheDir = path.join(dir, "cache");
  const options = { executor, bundle, cacheDir, node: process.execPath };
  const first = await shipBundle(options);
  assert.equal(first.uploaded, true);
  assert.equal(first.path, path.join(cacheDir, `agent-${bundle.sha256}.mjs`));
  assert.deepEqual(await readFile(first.path), bundle.bytes);
  assert.equal(first.nodeVersion, process.version);
  const inode = (await stat(first.path)).ino;

  const second = await shipBundle(options);
  assert.equal(second.uploaded, false);
  assert.equal((await stat(first.path)).ino, inode, "not written again");

  await writeFile(first.path, "damaged");
  const third = await shipBundle(options);
  assert.equal(third.uploaded, true);
  assert.deepEqual(await readFile(first.path), bundle.bytes);
  assert.deepEqual((await readdir(cacheDir)).filter((f) => f.endsWith(".tmp")), [], "no temporary file is left");
});

test("a leading ~/ in the folder is the remote user's home", async () => {
  const bundle = fakeBundle();
  const shipped = await shipBundle({ executor, bundle, cacheDir: "~/.cache/stackvault-ship-test", node: process.execPath });
  try {
    assert.equal(shipped.path, path.join(os.homedir(), ".cache/stackvault-ship-test", `agent-${bundle.sha256}.mjs`));
  } finally {
    await rm(path.join(os.homedir(), ".cache/stackvault-ship-test"), { recursive: true, force: true });
  }
});

test("a host Node.js that is missing or older than 22, without Docker, is reported, and nothing is uploaded", async () => {
  const old = path.join(dir, "old-node");
  await writeFile(old, "#!/bin/sh\necho v18.20.4\n");
  await chmod(old, 0o755);
  const cacheDir = path.join(dir, "never");
  await assert.rejects(shipBundle({ executor, bundle: fakeBundle(), cacheDir, node: old, docker: "stackvault-no-docker" }), (err: unknown) => {
    assert.ok(err instanceof ExecError);
    assert.match(err.message, /is v18\.20\.4; the agent needs 22 or newer/);
    assert.match(err.hint ?? "", /--host-node/);
    return true;
  });
  await assert.rejects(shipBundle({ executor, bundle: fakeBundle(), cacheDir, node: path.join(dir, "no-such-node"), docker: "stackvault-no-docker" }), /does not start/);
  await assert.rejects(stat(cacheDir), { code: "ENOENT" });
});
