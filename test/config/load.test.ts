import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../../src/core/errors.ts";
import { clearSecrets, redact } from "../../src/core/redact.ts";
import { loadConfig } from "../../src/config/load.ts";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "stackvault-config-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("defaults describe the KnowWhere stack", async (t) => {
  const cwd = await tempDir(t);
  const c = await loadConfig({ cwd, env: {} });
  assert.equal(c.region, "eu-west-1");
  assert.equal(c.compression, "zstd");
  assert.equal(c.validate, true);
  assert.deepEqual(c.qdrant.collections, [], "every collection on the server by default");
  assert.equal(c.neo4j.database, "neo4j");
  assert.equal(c.neo4j.method, "cypher");
  assert.equal(c.redis.restoreMode, "live");
  assert.equal(c.services.worker, "worker");
  assert.equal(c.services.app, "app");
  assert.equal(c.services.composeProject, "knowbase");
  assert.equal(c.services.warmStopTimeout, 60);
  assert.equal(c.lock.leaseSeconds, 900);
  assert.equal(c.stack, undefined);
  assert.equal(c.target, undefined);
  assert.equal(c.sources.region, "default");
});

test("precedence: file < env < flags, each source recorded", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(
    path.join(cwd, "stackvault.config.json"),
    JSON.stringify({ stack: "from-file", region: "us-east-1", compression: "gzip", neo4j: { user: "file-user", uri: "bolt://file:7687" } }),
  );
  const env = { STACKVAULT_REGION: "eu-central-1", STACKVAULT_COMPRESSION: "none", STACKVAULT_NEO4J_USER: "env-user" };
  const c = await loadConfig({ cwd, env, argvFlags: { compression: "zstd" } });
  assert.equal(c.stack, "from-file");
  assert.equal(c.region, "eu-central-1");
  assert.equal(c.compression, "zstd");
  assert.equal(c.neo4j.user, "env-user");
  assert.equal(c.neo4j.uri, "bolt://file:7687", "a nested key from the file survives a sibling set by env");
  assert.match(c.sources.stack ?? "", /^config file .*stackvault\.config\.json$/);
  assert.equal(c.sources.region, "environment variable STACKVAULT_REGION");
  assert.equal(c.sources.compression, "flag --compression");
});

test("YAML file, --config path, and typed env values (booleans, numbers, lists)", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "other.yaml"), "stack: yaml-stack\nskip:\n  redis: true\nretention:\n  keepLast: 3\n");
  const env = { STACKVAULT_VALIDATE: "false", STACKVAULT_KEEP_DAILY: "2", STACKVAULT_QDRANT_COLLECTIONS: "a, b" };
  const c = await loadConfig({ cwd, env, configFile: "other.yaml", argvFlags: { "skip-neo4j": true, "keep-last": "5" } });
  assert.equal(c.stack, "yaml-stack");
  assert.equal(c.skip.redis, true);
  assert.equal(c.skip.neo4j, true);
  assert.equal(c.validate, false);
  assert.equal(c.retention.keepLast, 5);
  assert.equal(c.retention.keepDaily, 2);
  assert.deepEqual(c.qdrant.collections, ["a", "b"]);
});

test("the config file is found in cwd; two candidates are ambiguous", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "stackvault.config.yml"), "stack: found\n");
  assert.equal((await loadConfig({ cwd, env: {} })).stack, "found");
  await writeFile(path.join(cwd, "stackvault.config.json"), "{}");
  await assert.rejects(loadConfig({ cwd, env: {} }), (e: Error) => e instanceof ConfigError && /Several config files/.test(e.message));
});

test("--bucket is --target s3://B; the higher layer wins between them; disagreeing in one layer is an error", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "stackvault.config.json"), JSON.stringify({ target: "file:///srv/backups" }));
  const a = await loadConfig({ cwd, env: { STACKVAULT_BUCKET: "knowwhere-backups-1" } });
  assert.equal(a.target, "s3://knowwhere-backups-1");
  assert.equal(a.bucket, "knowwhere-backups-1");
  const b = await loadConfig({ cwd, env: { STACKVAULT_BUCKET: "knowwhere-backups-1" }, argvFlags: { target: "s3://other-bucket/pre/fix" } });
  assert.equal(b.bucket, "other-bucket");
  const c = await loadConfig({ cwd, env: {} });
  assert.equal(c.bucket, undefined);
  await assert.rejects(
    loadConfig({ cwd, env: {}, argvFlags: { bucket: "one-bucket", target: "s3://two-bucket" } }),
    (e: Error) => e instanceof ConfigError && /disagree/.test(e.message),
  );
});

test("the result is deep-frozen", async (t) => {
  const cwd = await tempDir(t);
  const c = await loadConfig({ cwd, env: {} });
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.neo4j) && Object.isFrozen(c.qdrant.collections) && Object.isFrozen(c.secrets));
  assert.throws(() => {
    (c as { region: string }).region = "x";
  }, TypeError);
  assert.throws(() => (c.qdrant.collections as string[]).push("x"), TypeError);
});

for (const [name, input, setting, origin, allowed] of [
  ["enum from env", { env: { STACKVAULT_COMPRESSION: "lz4" } }, "compression", "environment variable STACKVAULT_COMPRESSION", "zstd, gzip, none"],
  ["number from flag", { argvFlags: { "keep-last": "many" } }, "retention.keepLast", "flag --keep-last", "expected number"],
  ["stack with a slash", { argvFlags: { stack: "prod/../x" } }, "stack", "flag --stack", "no '/'"],
  ["stack with ..", { env: { STACKVAULT_STACK: "a..b" } }, "stack", "environment variable STACKVAULT_STACK", "no '..'"],
  ["bucket name", { argvFlags: { bucket: "Bad_Bucket" } }, "bucket", "flag --bucket", "S3 bucket name"],
  ["relative file target", { argvFlags: { target: "file://backups" } }, "target", "flag --target", "file:///absolute/dir"],
  ["boolean", { env: { STACKVAULT_VALIDATE: "maybe" } }, "validate", "environment variable STACKVAULT_VALIDATE", "expected boolean"],
  ["redis url", { env: { STACKVAULT_REDIS_URL: "http://x" } }, "redis.url", "environment variable STACKVAULT_REDIS_URL", "redis://"],
  ["host", { argvFlags: { host: "ftp://box" } }, "host", "flag --host", "ssh://user@addr"],
] as const) {
  test(`bad value (${name}) → ConfigError naming the setting, its source and what is allowed`, async (t) => {
    const cwd = await tempDir(t);
    await assert.rejects(loadConfig({ cwd, env: {}, ...input }), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.ok(e.message.includes(`"${setting}"`), e.message);
      assert.ok(e.message.includes(origin), e.message);
      assert.ok(e.message.includes(allowed), e.message);
      return true;
    });
  });
}

test("a bad value in the file names the file; an unknown key is refused with the allowed keys", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "stackvault.config.json"), JSON.stringify({ neo4j: { method: "tar" } }));
  await assert.rejects(loadConfig({ cwd, env: {} }), (e: Error) => e instanceof ConfigError && /"neo4j\.method" = "tar" \(from config file .*stackvault\.config\.json\): expected one of cypher, apoc, dump/.test(e.message));
  await writeFile(path.join(cwd, "stackvault.config.json"), JSON.stringify({ neo4j: { pasword: "x" } }));
  await assert.rejects(loadConfig({ cwd, env: {} }), (e: Error) => e instanceof ConfigError && /Unknown setting "neo4j\.pasword"/.test(e.message) && /passwordFile/.test(e.message));
  await writeFile(path.join(cwd, "stackvault.config.json"), "{ not json");
  await assert.rejects(loadConfig({ cwd, env: {} }), (e: Error) => e instanceof ConfigError && /not valid JSON/.test(e.message));
  await assert.rejects(loadConfig({ cwd, env: {}, configFile: "missing.yaml" }), (e: Error) => e instanceof ConfigError && /Cannot read the config file/.test(e.message));
});

test("secrets: from the variable, from X_FILE (trailing newline trimmed), registered for redaction", async (t) => {
  clearSecrets();
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "qdrant.key"), "qdrant-key-from-file\n");
  await writeFile(path.join(cwd, "redis.pw"), "redis-pw-from-flag-file\r\n");
  const c = await loadConfig({
    cwd,
    env: { NEO4J_PASSWORD: "neo4j-secret-value", QDRANT_API_KEY_FILE: "qdrant.key" },
    argvFlags: { "redis-password-file": path.join(cwd, "redis.pw") },
  });
  assert.deepEqual({ ...c.secrets }, { neo4jPassword: "neo4j-secret-value", qdrantApiKey: "qdrant-key-from-file", redisPassword: "redis-pw-from-flag-file" });
  assert.equal(redact("a neo4j-secret-value b qdrant-key-from-file c redis-pw-from-flag-file"), "a *** b *** c ***");
  assert.equal(c.sources["qdrant.apiKeyFile"], "environment variable QDRANT_API_KEY_FILE");
  const prefixed = await loadConfig({ cwd, env: { STACKVAULT_NEO4J_PASSWORD: "prefixed-secret", STACKVAULT_QDRANT_API_KEY_FILE: "qdrant.key" } });
  assert.equal(prefixed.secrets.neo4jPassword, "prefixed-secret");
  assert.equal(prefixed.secrets.qdrantApiKey, "qdrant-key-from-file");
  clearSecrets();
});

test("secrets: X and X_FILE both set is an error that never shows the value", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "pw"), "file-password\n");
  for (const env of [
    { NEO4J_PASSWORD: "value-password-1", NEO4J_PASSWORD_FILE: "pw" },
    { STACKVAULT_REDIS_PASSWORD: "value-password-1", REDIS_PASSWORD_FILE: "pw" },
    { QDRANT_API_KEY: "value-password-1", STACKVAULT_QDRANT_API_KEY_FILE: "pw" },
    { NEO4J_PASSWORD: "value-password-1", STACKVAULT_NEO4J_PASSWORD: "value-password-2" },
  ]) {
    await assert.rejects(loadConfig({ cwd, env }), (e: Error) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, /both set/);
      assert.ok(!e.message.includes("value-password") && !e.message.includes("file-password"), e.message);
      return true;
    });
  }
  await assert.rejects(loadConfig({ cwd, env: { NEO4J_PASSWORD: "value-password-1" }, argvFlags: { "neo4j-password-file": "pw" } }), ConfigError);
});

test("secrets: a file named in the config file yields to the variable; empty or missing files are errors", async (t) => {
  const cwd = await tempDir(t);
  await writeFile(path.join(cwd, "stackvault.config.json"), JSON.stringify({ neo4j: { passwordFile: "pw" } }));
  await writeFile(path.join(cwd, "pw"), "from-the-file\n");
  assert.equal((await loadConfig({ cwd, env: {} })).secrets.neo4jPassword, "from-the-file");
  assert.equal((await loadConfig({ cwd, env: { NEO4J_PASSWORD: "from-the-env" } })).secrets.neo4jPassword, "from-the-env");
  await writeFile(path.join(cwd, "pw"), "\n");
  await assert.rejects(loadConfig({ cwd, env: {} }), (e: Error) => e instanceof ConfigError && /is empty/.test(e.message));
  await writeFile(path.join(cwd, "stackvault.config.json"), "{}");
  await assert.rejects(loadConfig({ cwd, env: { REDIS_PASSWORD_FILE: "nope" } }), (e: Error) => e instanceof ConfigError && /Cannot read the secret file .*nope .*REDIS_PASSWORD_FILE.*ENOENT/.test(e.message));
  clearSecrets();
});

test("a password inside a store URL is registered for redaction", async (t) => {
  clearSecrets();
  const cwd = await tempDir(t);
  await loadConfig({ cwd, env: { STACKVAULT_REDIS_URL: "redis://:url-secret-pw@127.0.0.1:6379/0" } });
  assert.equal(redact("auth url-secret-pw failed"), "auth *** failed");
  clearSecrets();
});

test("Qdrant collection names that could escape a key are refused", async (t) => {
  const cwd = await tempDir(t);
  assert.deepEqual((await loadConfig({ cwd, env: { STACKVAULT_QDRANT_COLLECTIONS: "knowbase,v1.2" } })).qdrant.collections, ["knowbase", "v1.2"]);
  for (const bad of ["../x", ".hidden", "a/b", "a..b"]) {
    await assert.rejects(loadConfig({ cwd, env: { STACKVAULT_QDRANT_COLLECTIONS: bad } }), (e: Error) => e instanceof ConfigError && /"qdrant\.collections"/.test(e.message), bad);
  }
});
