import { test } from "node:test";
import assert from "node:assert/strict";
import { effectiveRetention, retentionPolicySchema } from "../../src/plans/prune-policy.ts";
import { isoWeekOf, selectForPrune } from "../../src/plans/prune-select.ts";
import type { PruneCandidate, RetentionRules } from "../../src/plans/prune-select.ts";
import { newBackupId } from "../../src/targets/layout.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function candidate(iso: string, extra: Partial<PruneCandidate> = {}): PruneCandidate {
  const time = new Date(iso);
  return { backupId: newBackupId(time), time, status: "completed", isLatest: false, bytes: 1000, ...extra };
}

const ctx = (now: string) => ({ now: new Date(now), leaseMs: 15 * 60_000, otherRunActive: false });
const ids = (list: { backupId: string }[]) => list.map((d) => d.backupId.slice(0, 10));

test("60 daily backups: keep-last 3, daily 7, weekly 4, monthly 3 keep exactly the restic survivors", () => {
  // One backup a day at 02:00 UTC, 2025-08-01 … 2025-09-29 (a Monday); `latest` is the newest.
  const history = Array.from({ length: 60 }, (_, i) => candidate(new Date(Date.UTC(2025, 7, 1, 2) + i * DAY).toISOString()));
  assert.equal(history.length, 60);
  history[59] = { ...history[59]!, isLatest: true };
  const rules: RetentionRules = { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 3, minSizeRatio: 0.5 };
  const s = selectForPrune(history, rules, ctx("2025-09-29T12:00:00Z"));
  assert.deepEqual(ids(s.keep), [
    "2025-09-29", // latest, last 1, daily, weekly W40, monthly 2025-09
    "2025-09-28", // last 2, daily, weekly W39
    "2025-09-27", // last 3, daily
    "2025-09-26",
    "2025-09-25",
    "2025-09-24",
    "2025-09-23", // daily 7
    "2025-09-21", // weekly W38
    "2025-09-14", // weekly W37
    "2025-08-31", // monthly 2025-08 (no older month exists)
  ]);
  assert.equal(s.delete.length, 50);
  assert.ok(s.delete.every((d) => d.reasons.join() === "outside the policy"));
  assert.deepEqual(s.keep[0]?.reasons, ["latest", "last 1", "daily 2025-09-29", "weekly 2025-W40", "monthly 2025-09"]);
  assert.equal(s.shrunk, undefined);
  assert.equal(new Set([...ids(s.keep), ...ids(s.delete)]).size, 60, "every backup is decided once");
});

test("60 backups every 30 hours with the default policy (7/7/4/6) and keep_within_days", () => {
  const start = Date.UTC(2025, 0, 1, 6);
  const history = Array.from({ length: 60 }, (_, i) => candidate(new Date(start + i * 30 * HOUR).toISOString()));
  const newest = history[59]!;
  assert.equal(newest.backupId, "2025-03-16T00-00-00Z");
  const rules: RetentionRules = { keepLast: 7, keepDaily: 7, keepWeekly: 4, keepMonthly: 6, minSizeRatio: 0.5 };
  const s = selectForPrune(history, rules, ctx("2025-03-16T00:00:00Z"));
  const kept = s.keep.map((d) => d.backupId);
  // last 7 = daily 7 = the newest 7 (30 h apart: one per day), which also hold the newest of W11 and W10.
  assert.deepEqual(kept.slice(0, 7), history.slice(53).map((c) => c.backupId).reverse());
  assert.deepEqual(kept.slice(7), [
    "2025-03-02T06-00-00Z", // weekly 2025-W09
    "2025-02-27T18-00-00Z", // monthly 2025-02
    "2025-02-22T18-00-00Z", // weekly 2025-W08
    "2025-01-31T06-00-00Z", // monthly 2025-01 (no older month exists)
  ]);
  assert.equal(s.delete.length, 60 - 11);

  const within = selectForPrune(history, { ...rules, keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepWithinDays: 10 }, ctx("2025-03-16T00:00:00Z"));
  assert.deepEqual(within.keep.map((d) => d.backupId), history.filter((c) => c.time.getTime() >= Date.parse("2025-03-06T00:00:00Z")).map((c) => c.backupId).reverse());
});

test("failed, incomplete and invalid backups: never counted as kept; incomplete ones go only after their lease", () => {
  const history = [
    candidate("2025-10-01T02:00:00Z"),
    candidate("2025-10-02T02:00:00Z", { status: "failed" }),
    candidate("2025-10-03T02:00:00Z", { status: "incomplete" }),
    candidate("2025-10-04T02:00:00Z", { status: "invalid" }),
    candidate("2025-10-05T02:00:00Z", { isLatest: true }),
    candidate("2025-10-06T11:55:00Z", { status: "incomplete" }),
    candidate("2025-10-06T11:58:00Z", { status: "failed" }),
  ];
  const rules: RetentionRules = { keepLast: 2, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, minSizeRatio: 0.5 };
  const s = selectForPrune(history, rules, ctx("2025-10-06T12:00:00Z"));
  const keep = Object.fromEntries(s.keep.map((d) => [d.backupId.slice(0, 16), d.reasons[0]]));
  assert.deepEqual(keep, {
    "2025-10-06T11-55": "incomplete, started less than a lease ago (900 s): it may still be running",
    "2025-10-05T02-00": "latest",
    "2025-10-04T02-00": "manifest does not read (newer format?): left alone",
    "2025-10-01T02-00": "last 2",
  });
  assert.deepEqual(s.delete.map((d) => [d.backupId.slice(0, 10), d.reasons[0]]), [
    ["2025-10-06", "failed backup"],
    ["2025-10-03", "incomplete (no manifest), its lease has expired"],
    ["2025-10-02", "failed backup"],
  ]);
  const busy = selectForPrune(history, rules, { ...ctx("2025-10-06T12:00:00Z"), otherRunActive: true });
  assert.ok(!busy.delete.some((d) => d.status === "incomplete"), "no incomplete backup goes while another run holds the lock");
});

test("latest is kept even outside every rule; keep-last counts only verified backups", () => {
  const history = [
    candidate("2025-01-01T00:00:00Z", { isLatest: true }),
    candidate("2025-06-01T00:00:00Z"),
    candidate("2025-06-02T00:00:00Z"),
    candidate("2025-06-03T00:00:00Z", { status: "failed" }),
  ];
  const s = selectForPrune(history, { keepLast: 2, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, minSizeRatio: 0 }, ctx("2025-06-04T00:00:00Z"));
  assert.deepEqual(s.keep.map((d) => [d.backupId.slice(0, 10), d.reasons.join()]), [
    ["2025-06-02", "last 1"],
    ["2025-06-01", "last 2"],
    ["2025-01-01", "latest"],
  ]);
  assert.deepEqual(ids(s.delete), ["2025-06-03"]);
});

test("the shrink guard compares the two newest verified backups", () => {
  const history = [
    candidate("2025-06-01T00:00:00Z", { bytes: 1_000_000 }),
    candidate("2025-06-02T00:00:00Z", { bytes: 1_000_000 }),
    candidate("2025-06-03T00:00:00Z", { bytes: 10, status: "failed" }),
    candidate("2025-06-04T00:00:00Z", { bytes: 400_000 }),
  ];
  const rules: RetentionRules = { keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, minSizeRatio: 0.5 };
  const s = selectForPrune(history, rules, ctx("2025-06-05T00:00:00Z"));
  assert.equal(s.shrunk?.newest, "2025-06-04T00-00-00Z");
  assert.equal(s.shrunk?.previous, "2025-06-02T00-00-00Z");
  assert.equal(s.shrunk?.ratio, 0.4);
  assert.equal(selectForPrune(history, { ...rules, minSizeRatio: 0.4 }, ctx("2025-06-05T00:00:00Z")).shrunk, undefined);
  assert.equal(selectForPrune(history, { ...rules, minSizeRatio: 0 }, ctx("2025-06-05T00:00:00Z")).shrunk, undefined);
});

test("ISO weeks across year ends", () => {
  assert.equal(isoWeekOf(new Date("2024-12-30T10:00:00Z")), "2025-W01");
  assert.equal(isoWeekOf(new Date("2021-01-03T23:59:59Z")), "2020-W53");
  assert.equal(isoWeekOf(new Date("2025-09-29T00:00:00Z")), "2025-W40");
  assert.equal(isoWeekOf(new Date("2025-09-28T23:59:59Z")), "2025-W39");
});

test("retention precedence: explicit setting, then the stack's entry, then the file, then the default", () => {
  const retention = { keepLast: 7, keepDaily: 7, keepWeekly: 4, keepMonthly: 6, minSizeRatio: 0.5 };
  const file = retentionPolicySchema.parse({ keep_daily: 30, keep_weekly: 8, retention_days: 7, stacks: { prod: { keep_weekly: 12 } } });
  const e = effectiveRetention({ retention: { ...retention, keepLast: 3 }, sources: { "retention.keepLast": "flag --keep-last" } }, file, "prod");
  assert.deepEqual(e.rules, { keepLast: 3, keepDaily: 30, keepWeekly: 12, keepMonthly: 6, keepWithinDays: 7, minSizeRatio: 0.5 });
  assert.deepEqual(e.origins, {
    keepLast: "flag --keep-last",
    keepDaily: "retention-policy.json",
    keepWeekly: "retention-policy.json (stack)",
    keepMonthly: "default",
    keepWithinDays: "retention-policy.json",
    minSizeRatio: "default",
  });
  assert.equal(effectiveRetention({ retention, sources: {} }, undefined, "prod").rules.keepDaily, 7);
  assert.throws(() => retentionPolicySchema.parse({ keep_dailly: 3 }), /keep_dailly/);
});
