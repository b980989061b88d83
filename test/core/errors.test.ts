import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, EXIT_CODES, PreconditionFailedError, StackvaultError, TargetError, isStackvaultError } from "../../src/core/errors.ts";
import { clearSecrets, redact, redactDeep, registerSecret } from "../../src/core/redact.ts";

test("each error class carries its documented exit code and a stable code", () => {
  const err = new ConfigError("bad", { hint: "set --bucket" });
  assert.equal(err.exitCode, EXIT_CODES.config);
  assert.equal(err.code, "CONFIG");
  assert.equal(err.name, "ConfigError");
  assert.equal(err.hint, "set --bucket");
  assert.ok(isStackvaultError(err));
  assert.ok(!isStackvaultError(new Error("bug")));
  const pre = new PreconditionFailedError("exists");
  assert.ok(pre instanceof TargetError && pre instanceof StackvaultError);
  assert.equal(pre.exitCode, EXIT_CODES.target);
});

test("exit codes are unique", () => {
  const values = Object.values(EXIT_CODES);
  assert.equal(new Set(values).size, values.length);
});

test("redact masks registered secrets, URL passwords and key=value secrets", () => {
  clearSecrets();
  registerSecret("hunter2-very-secret");
  assert.equal(redact("auth failed with hunter2-very-secret!"), "auth failed with ***!");
  assert.equal(redact("redis://default:p4ss@127.0.0.1:6379/0"), "redis://default:***@127.0.0.1:6379/0");
  assert.equal(redact("NEO4J_PASSWORD=abc123 next"), "NEO4J_PASSWORD=*** next");
  assert.equal(redact('{"api_key": "zzz"}'), '{"api_key": "***"}');
  assert.deepEqual(redactDeep({ a: ["x hunter2-very-secret"], n: 3 }), { a: ["x ***"], n: 3 });
  assert.equal(redact("plain text stays"), "plain text stays");
  clearSecrets();
});
