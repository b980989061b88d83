import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { estimateCost, parsePrices, steadyStateKept } from "../../src/stack/aws/cost.ts";
import type { CostEstimate } from "../../src/stack/aws/cost.ts";
import { openTarget } from "../../src/targets/registry.ts";
import { runCli } from "../cli/run-cli.ts";
import { dailyHistory, writeHistory } from "../prune/history.ts";

test("the seed's example: 300 MB a day kept 30 days in eu-west-1 is about $0.21 of storage a month", () => {
  const e = estimateCost({ region: "eu-west-1", backupBytes: 300e6, objectsPerBackup: 7, partSizeBytes: 8 * 1024 * 1024, backupsPerDay: 1, retention: { days: 30 } });
  assert.equal(e.keptBackups, 30);
  const storage = e.lines[0]!;
  assert.equal(storage.quantity, 9);
  assert.equal(storage.monthly.toFixed(3), "0.207");
  assert.equal(e.restoreOutsideAws.toFixed(3), "0.027", "the seed's 3 cents for a download out of AWS");
  assert.ok(e.monthlyTotal > 0.2 && e.monthlyTotal < 0.4, String(e.monthlyTotal));
  assert.equal(e.lines.find((l) => l.item.startsWith("transfer"))?.monthly, 0);
});

test("the kept count follows prune's rules in steady state", () => {
  // Daily backups: last 3 and daily 7 keep 7 days; weekly 4 adds two older Sundays; monthly 3 adds the end of the month before last.
  assert.equal(steadyStateKept({ keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 3, minSizeRatio: 0.5 }, 1), 10);
  assert.equal(steadyStateKept({ keepLast: 5, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, minSizeRatio: 0.5 }, 4), 5);
  assert.equal(steadyStateKept({ keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepWithinDays: 2, minSizeRatio: 0.5 }, 4), 9);
});

test("prices: region table, unknown region falls back with a note, a price file overrides", () => {
  const base = { backupBytes: 1e9, objectsPerBackup: 7, partSizeBytes: 8e6, backupsPerDay: 1, retention: { days: 10 } };
  assert.equal(estimateCost({ ...base, region: "eu-central-1" }).prices.storagePerGbMonth, 0.0245);
  assert.match(estimateCost({ ...base, region: "sa-east-1" }).pricesFrom, /no table for sa-east-1/);
  const custom = estimateCost({ ...base, region: "eu-west-1", prices: parsePrices('{"storagePerGbMonth": 0.01}', "prices.json") });
  assert.equal(custom.lines[0]?.monthly, 0.1);
  assert.equal(custom.pricesFrom, "your price file");
  assert.throws(() => parsePrices('{"storage": 1}', "prices.json"), /unknown price 'storage'/);
});

test("cost --stack measures size and rate from the stack's backups and applies retention-policy.json", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-cost-"));
  const url = `file://${dir}/backups`;
  const target = await openTarget(url);
  try {
    await writeHistory(target, "costly", dailyHistory(10, 50_000));
    await target.put("retention-policy.json", JSON.stringify({ keep_last: 4, keep_daily: 0, keep_weekly: 0, keep_monthly: 0 }));
    await writeFile(path.join(dir, "prices.json"), JSON.stringify({ storagePerGbMonth: 1 }));
    const r = await runCli(["cost", "--json", "--stack", "costly", "--target", url, "--region", "eu-west-1", "--prices", "prices.json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout) as CostEstimate & { input: { backupBytes: number; backupsPerDay: number; measured: { backups: number } } };
    assert.equal(e.input.backupsPerDay, 1);
    assert.equal(e.input.measured.backups, 10);
    assert.ok(e.input.backupBytes > 50_000 && e.input.backupBytes < 60_000, `artifact + manifest: ${e.input.backupBytes}`);
    assert.equal(e.keptBackups, 4);
    assert.equal(e.prices.storagePerGbMonth, 1);
    const text = await runCli(["cost", "--stack", "costly", "--target", url, "--region", "eu-west-1"], { cwd: dir });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /measured over 10 backup\(s\)/);
    assert.match(text.stdout, /Total: \$\d+\.\d+ a month/);
  } finally {
    await target.close();
    await rm(dir, { recursive: true, force: true });
  }
});
