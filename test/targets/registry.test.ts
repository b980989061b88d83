import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { execFileSync } from "node:child_process";
import { ConfigError, TargetError } from "../../src/core/errors.ts";
import { clearMemoryTargets, openTarget, registerTarget, targetSchemes } from "../../src/targets/registry.ts";
import { getBytes } from "../../src/targets/target.ts";

test("registry: file, memory and s3 URLs open the matching implementation", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "stackvault-reg-"));
  const local = await openTarget(pathToFileURL(dir).href);
  assert.equal(local.kind, "local");
  assert.equal(local.location, pathToFileURL(dir).href);
  await local.put("x/y", "z");
  assert.equal((await getBytes(await openTarget({ kind: "local", dir }), "x/y")).toString(), "z");

  const s3 = await openTarget("s3://my-backups/team/stackvault/", { s3: { region: "eu-west-3", credentials: { accessKeyId: "a", secretAccessKey: "b" } } });
  assert.equal(s3.kind, "s3");
  assert.equal(s3.location, "s3://my-backups/team/stackvault");
  await s3.close();

  clearMemoryTargets();
  const m1 = await openTarget("memory://shared");
  await m1.put("k", "v");
  assert.equal((await getBytes(await openTarget("memory://shared"), "k")).toString(), "v");
  assert.equal(await (await openTarget("memory://")).head("k"), undefined);
  await rm(dir, { recursive: true });
});

test("registry: bad URLs, unknown schemes and invalid bucket names are ConfigErrors that say what to write", async () => {
  await assert.rejects(openTarget("not a url"), (e: unknown) => e instanceof ConfigError && /s3:\/\/bucket/.test(e.hint ?? ""));
  await assert.rejects(openTarget("ftp://host/x"), (e: unknown) => e instanceof ConfigError && /file:\/\/\/dir/.test(e.hint ?? ""));
  await assert.rejects(openTarget("s3://My_Bucket"), (e: unknown) => e instanceof ConfigError && /not a valid S3 bucket name/.test(e.message));
  await assert.rejects(openTarget("s3://ok-bucket/a/../b"), ConfigError);
  await assert.rejects(openTarget("s3://key:secret@ok-bucket/"), (e: unknown) => e instanceof ConfigError && !/secret/.test(e.message));
  await assert.rejects(openTarget("file://server/share"), (e: unknown) => e instanceof ConfigError && /three slashes/.test(e.hint ?? ""));
});

test("registry: registering a scheme twice throws; a new scheme can be added", async () => {
  assert.throws(() => registerTarget("s3", async () => { throw new Error("unused"); }), /already registered/);
  registerTarget("fail-test", async (url) => { throw new TargetError(`no ${url.href}`); });
  assert.ok(targetSchemes().includes("fail-test"));
  await assert.rejects(openTarget("fail-test://x"), /no fail-test:\/\/x/);
});

test("registry: importing it does not load the AWS SDK (the CLI starts fast); opening s3:// does", () => {
  const script = [
    "import { createRequire } from 'node:module';",
    "const require = createRequire(import.meta.url);",
    "const sdk = () => Object.keys(require.cache).filter((k) => k.includes('@aws-sdk')).length;",
    `const reg = await import(${JSON.stringify(new URL("../../src/targets/registry.ts", import.meta.url).href)});`,
    "const before = sdk();",
    "await reg.openTarget('s3://lazy-check', { s3: { region: 'us-east-1' } });",
    "console.log(JSON.stringify({ before, after: sdk() }));",
  ].join("\n");
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  assert.equal(before, 0);
  assert.ok(after > 0);
});
