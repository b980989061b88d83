import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { CancelledError, UsageError } from "../../src/core/errors.ts";
import { confirm, confirmTyped } from "../../src/cli/prompt.ts";

function terminal(answer: string | undefined) {
  const input = Object.assign(new PassThrough(), { isTTY: true });
  const output = new PassThrough();
  let asked = "";
  output.on("data", (d: Buffer) => {
    asked += d.toString();
    if (answer !== undefined) input.write(`${answer}\n`);
  });
  return { input, output, asked: () => asked };
}

test("--yes skips the question; without a terminal --yes is required", async () => {
  await confirm("Restore into prod?", { yes: true, input: Object.assign(new PassThrough(), { isTTY: false }) });
  await assert.rejects(
    confirm("Restore into prod?", { yes: false, input: Object.assign(new PassThrough(), { isTTY: false }) }),
    (e: Error) => e instanceof UsageError && /no terminal/.test(e.message) && e.hint === "Add --yes to confirm non-interactively.",
  );
});

test("on a terminal: yes proceeds, no and the default of [y/N] cancel, [Y/n] defaults to yes", async () => {
  const yes = terminal("y");
  await confirm("Destroy stack prod?", { yes: false, input: yes.input, output: yes.output });
  assert.match(yes.asked(), /Destroy stack prod\? \[y\/N\] /);
  const no = terminal("n");
  await assert.rejects(confirm("Destroy?", { yes: false, input: no.input, output: no.output }), CancelledError);
  const empty = terminal("");
  await assert.rejects(confirm("Destroy?", { yes: false, input: empty.input, output: empty.output }), CancelledError);
  const defaultYes = terminal("");
  await confirm("Back up, then destroy?", { yes: false, defaultYes: true, input: defaultYes.input, output: defaultYes.output });
  assert.match(defaultYes.asked(), /\[Y\/n\]/);
});

test("an aborted signal cancels the question", async () => {
  const silent = terminal(undefined);
  const controller = new AbortController();
  const pending = confirm("Restore?", { yes: false, input: silent.input, output: silent.output, signal: controller.signal });
  controller.abort();
  await assert.rejects(pending, CancelledError);
});

test("typed confirmation: only the exact stack name proceeds; without a terminal --yes is required", async () => {
  const right = terminal("KnowWhere-Production");
  await confirmTyped("Destroy stack KnowWhere-Production?", "KnowWhere-Production", { yes: false, input: right.input, output: right.output });
  assert.match(right.asked(), /Type the stack name 'KnowWhere-Production' to confirm: /);
  for (const answer of ["y", "yes", "knowwhere-production", ""]) {
    const wrong = terminal(answer);
    await assert.rejects(confirmTyped("Destroy?", "KnowWhere-Production", { yes: false, input: wrong.input, output: wrong.output }), CancelledError);
  }
  await confirmTyped("Destroy?", "prod", { yes: true, input: Object.assign(new PassThrough(), { isTTY: false }) });
  await assert.rejects(
    confirmTyped("Destroy?", "prod", { yes: false, input: Object.assign(new PassThrough(), { isTTY: false }) }),
    (e: Error) => e instanceof UsageError && /no terminal/.test(e.message),
  );
});
