import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { SETTINGS, coerce, findSetting } from "../../src/config/settings.ts";

test("every setting has a unique key, flag and STACKVAULT_ variable, and a description", () => {
  for (const field of ["key", "flag", "env"] as const) {
    const values = SETTINGS.map((s) => s[field]);
    assert.equal(new Set(values).size, values.length, `duplicate ${field}`);
  }
  for (const s of SETTINGS) {
    assert.match(s.env, /^STACKVAULT_[A-Z0-9_]+$/);
    assert.ok(s.description.length > 3 && s.description !== s.path.join(" "), `${s.key} has no description`);
  }
});

test("the names of DESIGN §10 exist with their variables", () => {
  const expected: Record<string, string> = {
    stack: "STACKVAULT_STACK",
    bucket: "STACKVAULT_BUCKET",
    target: "STACKVAULT_TARGET",
    region: "STACKVAULT_REGION",
    "s3-endpoint": "STACKVAULT_S3_ENDPOINT",
    "neo4j-uri": "STACKVAULT_NEO4J_URI",
    "neo4j-user": "STACKVAULT_NEO4J_USER",
    "neo4j-password-file": "STACKVAULT_NEO4J_PASSWORD_FILE",
    "neo4j-method": "STACKVAULT_NEO4J_METHOD",
    "qdrant-url": "STACKVAULT_QDRANT_URL",
    "redis-url": "STACKVAULT_REDIS_URL",
    "skip-neo4j": "STACKVAULT_SKIP_NEO4J",
    "skip-qdrant": "STACKVAULT_SKIP_QDRANT",
    "skip-redis": "STACKVAULT_SKIP_REDIS",
    compression: "STACKVAULT_COMPRESSION",
    validate: "STACKVAULT_VALIDATE",
    host: "STACKVAULT_HOST",
    direct: "STACKVAULT_DIRECT",
    "keep-last": "STACKVAULT_KEEP_LAST",
    "keep-daily": "STACKVAULT_KEEP_DAILY",
    "keep-weekly": "STACKVAULT_KEEP_WEEKLY",
    "keep-monthly": "STACKVAULT_KEEP_MONTHLY",
  };
  for (const [flag, env] of Object.entries(expected)) assert.equal(findSetting(flag)?.env, env, flag);
});

test("every option of the schema carries TSDoc with @default", async () => {
  const source = await readFile(new URL("../../src/config/schema.ts", import.meta.url), "utf8");
  const documented = source.match(/\/\*\*[^*]*(?:\*(?!\/)[^*]*)*@default[^*]*\*\/\s*\n\s*(\w+):/g) ?? [];
  const names = documented.map((d) => /(\w+):$/.exec(d)?.[1]);
  for (const s of SETTINGS) assert.ok(names.includes(s.path[s.path.length - 1]), `${s.key} lacks a TSDoc @default`);
});

test("coerce turns text into the setting's kind and leaves bad text for validation", () => {
  const bool = findSetting("validate");
  const num = findSetting("keep-last");
  const list = findSetting("qdrant-collections");
  assert.ok(bool && num && list);
  assert.equal(coerce(bool, "yes"), true);
  assert.equal(coerce(bool, "0"), false);
  assert.equal(coerce(bool, "perhaps"), "perhaps");
  assert.equal(coerce(num, " 12 "), 12);
  assert.equal(coerce(num, "12x"), "12x");
  assert.deepEqual(coerce(list, "a,b , c,"), ["a", "b", "c"]);
  assert.deepEqual(coerce(list, ""), []);
});

test("unknown STACKVAULT_ variables are reported with the closest known name", async () => {
  const { unknownEnvVars } = await import("../../src/config/settings.ts");
  assert.deepEqual(unknownEnvVars({ STACKVAULT_BUKET: "x", STACKVAULT_STACK: "dev", STACKVAULT_NEO4J_PASSWORD: "p", STACKVAULT_WHATEVER_ELSE: "1", HOME: "/" }), [
    { name: "STACKVAULT_BUKET", suggestion: "STACKVAULT_BUCKET" },
    { name: "STACKVAULT_WHATEVER_ELSE" },
  ]);
});
