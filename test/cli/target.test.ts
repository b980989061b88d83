import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../../src/core/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { openConfiguredTarget, targetSettings } from "../../src/cli/target.ts";

test("S3 settings from the config reach the target layer", async () => {
  const config = await loadConfig({
    cwd: os.tmpdir(),
    env: { STACKVAULT_S3_ENDPOINT: "http://127.0.0.1:7070", STACKVAULT_S3_SSE: "aws:kms", STACKVAULT_S3_KMS_KEY_ID: "alias/backups" },
    argvFlags: { bucket: "knowwhere-backups-1", region: "eu-central-1", "s3-part-size-mib": "16", "s3-request-timeout": "20" },
  });
  assert.deepEqual(targetSettings(config).s3, {
    region: "eu-central-1",
    endpoint: "http://127.0.0.1:7070",
    sse: "aws:kms",
    kmsKeyId: "alias/backups",
    partSize: 16 * 1024 * 1024,
    queueSize: 4,
    requestTimeoutMs: 20_000,
  });
  const none = await loadConfig({ cwd: os.tmpdir(), env: { STACKVAULT_S3_SSE: "none", STACKVAULT_S3_FORCE_PATH_STYLE: "false" } });
  assert.equal(targetSettings(none).s3?.sse, undefined);
  assert.equal(targetSettings(none).s3?.forcePathStyle, false);
  assert.equal(targetSettings(none).s3?.requestTimeoutMs, 60_000, "a stalled request is abandoned after a minute by default");
});

test("a file:// target from the config is opened and stores objects in that folder", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "stackvault-target-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = await loadConfig({ cwd: dir, env: { STACKVAULT_TARGET: pathToFileURL(dir).href } });
  const target = await openConfiguredTarget(config, "list");
  await target.put("stacks/dev/latest", "2025-10-25T14-30-00Z");
  assert.equal(await readFile(path.join(dir, "stacks/dev/latest"), "utf8"), "2025-10-25T14-30-00Z");
});

test("no target configured → ConfigError saying how to set one", async () => {
  const config = await loadConfig({ cwd: os.tmpdir(), env: {} });
  await assert.rejects(openConfiguredTarget(config, "list"), (e: Error) => e instanceof ConfigError && /`list` needs a target: set --target, STACKVAULT_TARGET .* \(or --bucket B\)/.test(e.message));
});
