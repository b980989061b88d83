/**
 * The restore plan (DESIGN §5, the seed's nine steps, reordered so that nothing is destroyed before the
 * backup is proven good): preflight (manifest, every checksum, every engine's compatibility check) → stop the
 * app and worker → stream artifacts → Neo4j → Qdrant → Redis → restart → compare counts with the manifest →
 * record the restore (RTO, RPO) under `stacks/{stack}/restores/`.
 */
import { CancelledError, IntegrityError, ValidationError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import { formatBytes, formatCount, formatDuration } from "../core/format.ts";
import type { Engine, EngineName, EngineSection } from "../engines/engine.ts";
import { assertVerified, readManifest, verifyBackup } from "../manifest/index.ts";
import type { Manifest } from "../manifest/index.ts";
import { backupPrefix, metadataKey, newBackupId, parseBackupId, restoreRecordKey } from "../targets/layout.ts";
import type { Target } from "../targets/target.ts";
import { artifactReader } from "./artifacts.ts";
import { resolveBackupId } from "./catalog.ts";
import { sectionOf, storedBytes } from "./manifest-map.ts";
import { sideBySide } from "./side-by-side.ts";
import { holdLock, stopServices, type LockSettings, type PlanServices } from "./run-lock.ts";
import { Cleanups, StepCounter, withCleanups } from "./steps.ts";

export interface RestorePlanOptions {
  /** The stack restored into (locked, and where the restore is recorded). */
  stack: string;
  target: Target;
  /** Which backup: of `fromStack` (default: `stack`), `backupId` or, when absent, the latest. */
  fromStack?: string;
  backupId?: string;
  /** Engines connected to the destination stores. A store in the backup without an engine here is left alone. */
  engines: readonly Engine[];
  services?: PlanServices;
  lock?: LockSettings;
  /** Stop after the preflight and return the plan. */
  dryRun?: boolean;
  /** Write the restore record (RTO, RPO) under `stacks/{stack}/restores/`; off for scratch restores. @default true */
  record?: boolean;
  /** Asked after the preflight, before anything changes; returning false cancels. */
  confirm?: (plan: RestorePlanSummary) => Promise<boolean>;
  events: Emitter;
  signal: AbortSignal;
}

/** What a restore will do, shown before it does it. */
export interface RestorePlanSummary {
  fromStack: string;
  backupId: string;
  /** Per store: what the backup holds and what the destination holds now (and will lose). */
  stores: { engine: EngineName; backup: Record<string, number>; current: Record<string, number>; bytes: number }[];
  /** Stores in the backup that this restore leaves alone. */
  leftAlone: EngineName[];
}

export interface RestoreResult {
  plan: RestorePlanSummary;
  /** False for a dry run. */
  restored: boolean;
  durationSeconds: number;
  /** Age of the backup when the restore finished (the recovery point), in seconds. */
  backupAgeSeconds: number;
}

const ORDER: readonly EngineName[] = ["neo4j", "qdrant", "redis"];

/** Runs a restore. @throws the first error; clean-up errors are attached to it as `cleanupErrors`. */
export async function runRestore(options: RestorePlanOptions): Promise<RestoreResult> {
  const { stack, target, events } = options;
  const fromStack = options.fromStack ?? stack;
  const started = Date.now();
  const steps = new StepCounter(9, events);
  const cleanups = new Cleanups();
  return withCleanups(cleanups, async () => {
    steps.next(`Preflight: checking the backup before anything is touched`);
    const lock = await holdLock(target, stack, "restore", options, cleanups);
    const signal = lock.signal;
    const backupId = await resolveBackupId(target, fromStack, options.backupId, signal);
    const manifest = await readManifest(target, metadataKey(fromStack, backupId), { signal });
    if (manifest.status !== "completed") throw new IntegrityError(`Backup ${backupId} of '${fromStack}' has status '${manifest.status}'; only completed backups are restored.`);
    events.ok(`Backup: ${fromStack}/${backupId} (${manifest.backup_timestamp}, stackvault ${manifest.tool.version})`);
    const work = pairs(manifest, options.engines);
    // The artifacts are re-hashed while each store says whether it accepts its backup and what it holds now.
    const [report, ...currents] = await sideBySide(signal, [
      (each: AbortSignal) => verifyBackup(target, backupPrefix(fromStack, backupId), manifest, { signal: each, failFast: true }),
      ...work.map(({ engine, section }) => async (each: AbortSignal) => {
        await engine.checkRestorable(section, { signal: each });
        return (await engine.inspect({ signal: each })).counts;
      }),
    ]);
    assertVerified(report);
    events.ok(`Every artifact verified (sha256) and every store accepts its backup`);
    const plan: RestorePlanSummary = { fromStack, backupId, stores: [], leftAlone: ORDER.filter((n) => manifest.databases[n] && !work.some((w) => w.engine.name === n)) };
    for (const [i, { engine, section }] of work.entries()) {
      const current = currents[i] as Record<string, number>;
      plan.stores.push({ engine: engine.name, backup: section.counts, current, bytes: storedBytes([section]) });
      events.ok(`${engine.name}: restore ${formatBytes(storedBytes([section]))} (${brief(section.counts)}), replacing ${brief(current)}`);
    }
    for (const name of plan.leftAlone) events.warn(`${name} is in the backup but not restored (no connection configured or skipped)`);
    if (options.dryRun) return { plan, restored: false, durationSeconds: (Date.now() - started) / 1000, backupAgeSeconds: ageSeconds(backupId) };
    if (options.confirm && !(await options.confirm(plan))) throw new CancelledError("Restore not confirmed; nothing was changed.");

    steps.next("Stopping the app and the worker");
    await stopServices(options.services, lock, cleanups, events, "Stopped");

    steps.next("Streaming the artifacts from the target");
    events.ok(`${formatBytes(plan.stores.reduce((n, s) => n + s.bytes, 0))} to read, checked again while streaming`);

    const expected = new Map<EngineName, Record<string, number>>();
    for (const name of ORDER) {
      steps.next(`Restoring ${name === "neo4j" ? "Neo4j" : name === "qdrant" ? "Qdrant" : "Redis"}`);
      const item = work.find((w) => w.engine.name === name);
      if (!item) {
        events.ok("Not restored");
        continue;
      }
      const readArtifact = artifactReader(item.section.artifacts, { target, stack: fromStack, backupId, signal });
      const outcome = await item.engine.restore(item.section, { signal, events, readArtifact, purge: true, verified: true });
      if (outcome?.expectedCounts) expected.set(name, { ...item.section.counts, ...outcome.expectedCounts });
      events.ok(`${name} restored`);
    }

    steps.next("Restarting the services");
    await cleanups.runNow("services");

    steps.next("Comparing counts with the manifest");
    const mismatches: string[] = [];
    for (const { engine, section } of work) {
      const now = await engine.count({ signal });
      for (const [key, want] of Object.entries(expected.get(engine.name) ?? section.counts)) {
        if (now[key] !== want) mismatches.push(`${engine.name} ${key}: expected ${formatCount(want)}, found ${now[key] === undefined ? "none" : formatCount(now[key])}`);
      }
      const adjusted = expected.has(engine.name) && Object.entries(expected.get(engine.name) ?? {}).some(([k, v]) => section.counts[k] !== v);
      if (!mismatches.some((m) => m.startsWith(`${engine.name} `))) events.ok(`${engine.name}: ${brief(now)} (${adjusted ? `as expected; the manifest had ${brief(section.counts)} before the engine's accounted changes` : "as in the manifest"})`);
    }
    if (mismatches.length > 0) throw new ValidationError(`The restored stores do not match the manifest:\n  ${mismatches.join("\n  ")}`, { hint: "The stores now hold a partial restore; run the restore again, or restore another backup." });

    steps.next(options.record === false ? "Finishing (scratch restore, not recorded)" : "Recording the restore");
    const durationSeconds = (Date.now() - started) / 1000;
    const backupAgeSeconds = ageSeconds(backupId);
    if (options.record === false) {
      events.ok(`Restore time: ${formatDuration(durationSeconds)}`);
      return { plan, restored: true, durationSeconds, backupAgeSeconds };
    }
    const record = { restore_id: newBackupId(), stack, from_stack: fromStack, backup_id: backupId, started_at: new Date(started).toISOString(), finished_at: new Date().toISOString(), duration_seconds: durationSeconds, backup_age_seconds: backupAgeSeconds, stores: plan.stores.map((s) => s.engine), status: "completed" };
    await target.put(restoreRecordKey(stack, record.restore_id), JSON.stringify(record, null, 2), { contentType: "application/json", signal });
    events.ok(`Restore time (RTO): ${formatDuration(durationSeconds)} · backup age (RPO): ${formatDuration(backupAgeSeconds)}`);
    return { plan, restored: true, durationSeconds, backupAgeSeconds };
  });
}

// --- internal ---

function pairs(manifest: Manifest, engines: readonly Engine[]): { engine: Engine; section: EngineSection }[] {
  const out: { engine: Engine; section: EngineSection }[] = [];
  for (const name of ORDER) {
    const engine = engines.find((e) => e.name === name);
    const section = sectionOf(manifest, name);
    if (engine && section) out.push({ engine, section });
  }
  return out;
}

function ageSeconds(backupId: string): number {
  const at = parseBackupId(backupId);
  return at ? Math.max(0, (Date.now() - at.getTime()) / 1000) : 0;
}

function brief(counts: Record<string, number>): string {
  const main = Object.entries(counts).filter(([k]) => !k.includes(":") || k.startsWith("points:") || k.startsWith("keys:"));
  return main.length === 0 ? "empty" : main.map(([k, v]) => `${formatCount(v)} ${k}`).join(", ");
}
