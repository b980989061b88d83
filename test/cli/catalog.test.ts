import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { Emitter } from "../../src/core/events.ts";
import { runBackup } from "../../src/plans/backup.ts";
import { openTarget } from "../../src/targets/registry.ts";
import { fakeEngine } from "../plans/fake-engine.ts";
import { hasStackTrace, runCli } from "./run-cli.ts";

async function twoBackups() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-catalog-"));
  const url = `file://${dir}/backups`;
  const target = await openTarget(url);
  const signal = new AbortController().signal;
  const store = { items: new Map([["nodes", Buffer.from("x".repeat(5000))]]), calls: [] };
  for (const backupId of ["2025-10-24T10-00-00Z", "2025-10-25T14-30-00Z"]) {
    await runBackup({ stack: "kw", target, engines: [fakeEngine("neo4j", store)], compression: "zstd", toolVersion: "t", events: new Emitter(), signal, backupId });
  }
  await target.close();
  return { dir, url };
}

test("list shows every backup with its status and which is latest; --json is one document", async () => {
  const { dir, url } = await twoBackups();
  await writeFile(path.join(dir, "backups/stacks/kw/2025-10-26T00-00-00Z-partial"), "not a backup folder");
  const r = await runCli(["list", "--stack", "kw", "--target", url], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^BACKUP ID\s+AGE\s+SIZE/);
  assert.match(lines[1] ?? "", /^2025-10-25T14-30-00Z .* completed\s+← latest$/);
  assert.match(lines[2] ?? "", /^2025-10-24T10-00-00Z .* completed$/);
  const json = await runCli(["list", "--stack", "kw", "--target", url, "--json"], { cwd: dir });
  const doc = JSON.parse(json.stdout) as { backups: { backupId: string; isLatest: boolean }[] };
  assert.deepEqual(doc.backups.map((b) => [b.backupId, b.isLatest]), [["2025-10-24T10-00-00Z", false], ["2025-10-25T14-30-00Z", true]]);
  const stacks = await runCli(["list", "--target", url], { cwd: dir });
  assert.match(stacks.stdout, /\n {2}kw\n/);
});

test("show prints the latest manifest readably, or as JSON", async () => {
  const { dir, url } = await twoBackups();
  const r = await runCli(["show", "--stack", "kw", "--target", url], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Backup 2025-10-25T14-30-00Z of stack 'kw' \(completed\)/);
  assert.match(r.stdout, /neo4j\/nodes\.bin\.zst/);
  const json = await runCli(["show", "--stack", "kw", "--target", url, "--backup-id", "2025-10-24T10-00-00Z", "--json"], { cwd: dir });
  assert.equal((JSON.parse(json.stdout) as { backup_id: string }).backup_id, "2025-10-24T10-00-00Z");
  const missing = await runCli(["show", "--stack", "kw", "--target", url, "--backup-id", "2020-01-01T00-00-00Z"], { cwd: dir });
  assert.equal(missing.code, EXIT_CODES.notFound);
  assert.ok(!hasStackTrace(missing.stderr));
});

test("verify passes on a sound backup and names the corrupted artifact otherwise", async () => {
  const { dir, url } = await twoBackups();
  const ok = await runCli(["verify", "--stack", "kw", "--target", url], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /✓ neo4j\/nodes\.bin\.zst: .* sha256 ok/);
  const file = path.join(dir, "backups/stacks/kw/2025-10-25T14-30-00Z/neo4j/nodes.bin.zst");
  const bytes = await readFile(file);
  bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 1;
  await writeFile(file, bytes);
  const bad = await runCli(["verify", "--stack", "kw", "--target", url], { cwd: dir });
  assert.equal(bad.code, EXIT_CODES.integrity);
  assert.match(bad.stdout, /✗ neo4j\/nodes\.bin\.zst: checksum mismatch/);
  assert.match(bad.stderr, /failed verification: neo4j\/nodes\.bin\.zst/);
});
