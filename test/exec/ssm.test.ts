/**
 * The `ssm` executor against the SSM stand-in (scripts really run on this machine, as on an instance) with
 * standard input and output through the S3 exchange on versitygw: the executor contract, then what is
 * specific to SSM — the command's parameters (kept in SSM's history) hold no secret, the exchange is emptied,
 * an output beyond SSM's 24,000 characters is whole, and a run without an exchange refuses input.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import { ssmExecutor } from "../../src/exec/ssm.ts";
import { executorContract } from "./contract.ts";
import { INSTANCE_ID, ssmFixture } from "./ssm-fixture.ts";
import type { SsmFixture } from "./ssm-fixture.ts";

let fx: SsmFixture;
before(async () => {
  fx = await ssmFixture();
});
after(async () => fx?.close());

executorContract("ssm", async () => ssmExecutor({ instanceId: INSTANCE_ID, ssm: fx.ssm, exchange: fx.exchange, pollMs: 200 }));

test("ssm: the secret travels through the exchange, never in the command's parameters, and the exchange is emptied", async () => {
  const secret = `secret-${Date.now()}-'"$`;
  const ex = ssmExecutor({ instanceId: INSTANCE_ID, ssm: fx.ssm, exchange: fx.exchange, pollMs: 200 });
  const seenBefore = fx.standin.requests.length;
  const result = await ex.run("sh", ["-c", 'printf %s "$SV_SECRET"'], { env: { SV_SECRET: secret } });
  assert.equal(result.stdout, secret);
  const sent = fx.standin.requests.slice(seenBefore).filter((r) => r.operation === "SendCommand");
  assert.equal(sent.length, 1);
  const body = JSON.stringify(sent[0]?.body);
  assert.ok(!body.includes("secret-"), "the secret is not in what SSM keeps");
  assert.match(body, /AWS-RunShellScript/);
  assert.ok(body.includes(`s3://${fx.s3.bucket}/${fx.exchange.prefix}/`), "the command names only the exchange");
  assert.deepEqual(await fx.leftovers(), [], "every input and output chunk was deleted");
});

test("ssm: an output far beyond SSM's 24,000 characters arrives whole, and the stderr tail names the failure", async () => {
  const ex = ssmExecutor({ instanceId: INSTANCE_ID, ssm: fx.ssm, exchange: fx.exchange, pollMs: 200 });
  const result = await ex.run("sh", ["-c", "seq 1 30000; echo 'disk full' >&2; exit 5"], { check: false });
  assert.equal(result.exitCode, 5);
  const lines = result.stdout.trim().split("\n");
  assert.equal(lines.length, 30000);
  assert.equal(lines[29999], "30000");
  assert.ok(result.stdout.length > 24_000 * 5);
  assert.match(result.stderr, /disk full/);
  assert.doesNotMatch(result.stderr, /stackvault-pid/);
});

test("ssm: without an exchange, output comes from SSM itself and input is refused", async () => {
  const ex = ssmExecutor({ instanceId: INSTANCE_ID, ssm: fx.ssm, pollMs: 200 });
  assert.equal((await ex.run("printf", ["%s|", "a b", "$HOME"])).stdout, "a b|$HOME|");
  await assert.rejects(ex.run("cat", [], { stdin: "x" }), ConfigError);
  await assert.rejects(ex.run("env", [], { env: { A: "1" } }), ConfigError);
  await assert.rejects(ex.run("seq", ["1", "10000"]), /reached SSM's limit of 24000 characters/);
});

test("ssm: an unknown instance is reported clearly", async () => {
  const ex = ssmExecutor({ instanceId: "i-00000000000000000", ssm: fx.ssm, pollMs: 200 });
  await assert.rejects(ex.run("true", []), /Cannot send 'true' to ssm:\/\/i-00000000000000000/);
});
