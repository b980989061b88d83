import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { secretsTableMarkdown, settingsTableMarkdown } from "../../src/config/docs.ts";

const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");

function block(name: string): string {
  const m = new RegExp(`<!-- ${name}:start -->\\n([\\s\\S]*?)\\n?<!-- ${name}:end -->`).exec(readme);
  assert.ok(m, `README has no ${name} block`);
  return (m[1] ?? "").trim();
}

test("the README's exit-code table is exactly EXIT_CODES", () => {
  const rows = block("exit-codes")
    .split("\n")
    .map((line) => /^\| (\d+) \| `(\w+)` \| (.+) \|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[2], Number(m[1])] as const);
  assert.deepEqual(rows, Object.entries(EXIT_CODES));
});

test("the README's settings and secrets tables match the schema", () => {
  assert.equal(block("settings-table"), settingsTableMarkdown(), `replace the settings block with:\n${settingsTableMarkdown()}`);
  assert.equal(block("secrets-table"), secretsTableMarkdown(), `replace the secrets block with:\n${secretsTableMarkdown()}`);
});

test("the quick start is the two set-up commands, and both scripts exist", async () => {
  const quick = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const commands = quick.split("\n").filter((l) => l.trim() !== "").map((l) => l.replace(/\s+#.*$/, "").trim());
  assert.deepEqual(commands, ["scripts/with-node npm run demo", "scripts/with-node npm test"]);
  const pkg = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.demo && pkg.scripts.test);
});

test("the PowerShell mapping covers the seed's parameters", () => {
  for (const p of ["-StackName", "-S3Bucket", "-Region", "-SkipRedis", "-Compress", "-Validate", "-BackupTimestamp", "-Latest", "-BackupSource", "-Backup`", "-BackupBucket", "-SkipConfirmation", "-KeyPairName", "-KeyPath", "-RestoreFromBackup", "-RestoreLatest"]) {
    assert.ok(readme.includes(`\`${p.replace(/`$/, "")}`), `README does not map ${p}`);
  }
});
