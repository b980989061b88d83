/**
 * The `ssm` executor's API calls against the AWS emulator (moto). moto accepts `SendCommand` and reports the
 * invocation as successful without running anything, so this file checks what the executor sends and how it
 * follows the invocation; the scripts themselves are proven through the SSM stand-in (ssm.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { ListCommandsCommand, SSMClient } from "@aws-sdk/client-ssm";
import { ExecError } from "../../src/core/errors.ts";
import { ssmExecutor } from "../../src/exec/ssm.ts";
import { MOTO_CREDENTIALS, motoEndpoint, motoS3, uniqueBucket } from "../aws/moto.ts";

const INSTANCE = "i-0a1b2c3d4e5f60718";

function recordingClient(): { ssm: SSMClient; calls: string[] } {
  const ssm = new SSMClient({ endpoint: motoEndpoint(), region: "eu-west-1", credentials: MOTO_CREDENTIALS });
  const calls: string[] = [];
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "recordCalls" },
  );
  return { ssm, calls };
}

async function sentCommand(ssm: SSMClient, comment: string): Promise<{ DocumentName?: string; InstanceIds?: string[]; Parameters?: Record<string, string[]>; Comment?: string }> {
  const commands = (await ssm.send(new ListCommandsCommand({ InstanceId: INSTANCE }))).Commands ?? [];
  const found = commands.filter((c) => c.Comment === comment);
  assert.ok(found.length > 0, `a command with comment ${comment} was stored`);
  return found[found.length - 1] as never;
}

test("ssm on the emulator: AWS-RunShellScript with the quoted command, the working directory and the longest execution timeout; polled to its end", async () => {
  const { ssm, calls } = recordingClient();
  const ex = ssmExecutor({ instanceId: INSTANCE, ssm, pollMs: 50 });
  const result = await ex.run("printf", ["%s|", "two words", "it's"], { cwd: "/srv/data" });
  assert.equal(result.exitCode, 0);
  assert.equal(result.stdout, "", "the emulator ran nothing");
  assert.equal(calls[0], "SendCommandCommand");
  assert.ok(calls.slice(1).length >= 1 && calls.slice(1).every((c) => c === "GetCommandInvocationCommand"), calls.join(", "));
  const sent = await sentCommand(ssm, "stackvault: printf");
  assert.equal(sent.DocumentName, "AWS-RunShellScript");
  assert.deepEqual(sent.InstanceIds, [INSTANCE]);
  assert.deepEqual(sent.Parameters?.commands, [`cd -- /srv/data || exit 126\nexec printf '%s|' 'two words' 'it'"'"'s'`]);
  assert.deepEqual(sent.Parameters?.executionTimeout, ["172800"]);
  ssm.destroy();
});

test("ssm on the emulator: with an exchange, the command names only the exchange, the secret stays out, a run that produced no output record is an error, and the exchange is emptied", async () => {
  const { ssm } = recordingClient();
  const s3 = motoS3("eu-west-1");
  const bucket = uniqueBucket("ssm-exchange");
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
  const secret = `secret-${randomBytes(8).toString("hex")}`;
  const ex = ssmExecutor({ instanceId: INSTANCE, ssm, exchange: { s3, bucket, prefix: "exec" }, pollMs: 50 });
  await assert.rejects(ex.run("sh", ["-c", "echo $TOKEN"], { env: { TOKEN: secret }, timeoutMs: 60_000 }), (err: unknown) => {
    assert.ok(err instanceof ExecError);
    assert.match(err.message, /without its output record in s3:\/\//);
    assert.match(err.hint ?? "", /AWS CLI and an instance role/);
    return true;
  });
  const sent = await sentCommand(ssm, "stackvault: sh");
  const script = sent.Parameters?.commands?.join("\n") ?? "";
  assert.ok(!script.includes(secret), "the secret is not in the command SSM keeps");
  assert.match(script, new RegExp(`^b=s3://${bucket}/exec/[0-9TZ]+-[0-9a-f]{12}$`, "m"));
  assert.deepEqual(sent.Parameters?.executionTimeout, ["90"], "the run's timeout plus a margin");
  assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? [], [], "input chunks deleted");
  ssm.destroy();
});
