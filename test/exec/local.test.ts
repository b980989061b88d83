import { test } from "node:test";
import assert from "node:assert/strict";
import { localExecutor } from "../../src/exec/local.ts";
import { remoteCommand } from "../../src/exec/remote-command.ts";
import { executorContract } from "./contract.ts";

executorContract("local", async () => localExecutor());

test("the remote command keeps variables off the command line and out of the program's input", async () => {
  const secret = "s3cr3t-'value'-$HOME";
  const { command, preamble } = remoteCommand("sh", ["-c", 'printf "%s|" "$SV_SECRET"; cat'], { SV_SECRET: secret }, "/");
  assert.ok(!command.includes("s3cr3t"), "the secret is not in the command line");
  // Run the exact remote command through a local shell, as sshd would.
  const result = await localExecutor().run("sh", ["-c", command], { stdin: Buffer.concat([preamble, Buffer.from("rest of stdin")]) });
  assert.equal(result.stdout, `${secret}|rest of stdin`);
});

test("the remote command refuses invalid variable names", () => {
  assert.throws(() => remoteCommand("true", [], { "BAD-NAME": "x" }, undefined), /not a valid environment variable name/);
});
