/**
 * The backup plan (DESIGN §4, the seed's seven steps): prepare and lock, quiesce the worker, back up Neo4j,
 * Qdrant and Redis as streams into the target, restart the worker as soon as the last store was read, write
 * `metadata.json` last, validate every object, then move `latest` with a conditional write.
 *
 * A failed or interrupted run leaves no manifest (so no backup) and never moves `latest`.
 */
import { CancelledError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import { formatBytes, formatCount, formatDuration } from "../core/format.ts";
import type { Compression, Engine, EngineName, EngineSection } from "../engines/engine.ts";
import { FORMAT_VERSION, assertVerified, verifyBackup, writeManifest } from "../manifest/index.ts";
import type { Manifest, ManifestInput } from "../manifest/index.ts";
import { backupPrefix, metadataKey, newBackupId } from "../targets/layout.ts";
import type { Target } from "../targets/target.ts";
import { artifactWriter } from "./artifacts.ts";
import { moveLatest } from "./latest.ts";
import { sideBySide } from "./side-by-side.ts";
import { holdLock, stopServices, type LockSettings, type PlanServices } from "./run-lock.ts";
import { addSection, storedBytes } from "./manifest-map.ts";
import { Cleanups, StepCounter, withCleanups } from "./steps.ts";

export interface BackupPlanOptions {
  stack: string;
  target: Target;
  /** The stores to back up, any of neo4j, qdrant, redis (skipped stores are simply absent). */
  engines: readonly Engine[];
  compression: Compression;
  /** True when the operator chose the compression; otherwise an engine's preference wins per artifact. */
  compressionExplicit?: boolean;
  /** Re-read and hash every object before moving `latest`. @default true */
  validate?: boolean;
  /** Services to stop during the backup (the RQ worker), restarted as soon as the stores were read. */
  services?: PlanServices;
  lock?: LockSettings;
  instanceId?: string | null;
  region?: string | null;
  toolVersion: string;
  events: Emitter;
  signal: AbortSignal;
  /** Fixed backup id (tests); defaults to the current UTC time. */
  backupId?: string;
}

export interface BackupResult {
  backupId: string;
  manifest: Manifest;
  /** Where the backup folder is (`s3://bucket/stacks/…/id/`). */
  location: string;
  storedBytes: number;
  durationSeconds: number;
  /** False when `latest` already named a newer backup. */
  latestMoved: boolean;
}

const ORDER: readonly EngineName[] = ["neo4j", "qdrant", "redis"];
const TITLES: Record<EngineName, string> = { neo4j: "Backing up Neo4j", qdrant: "Backing up Qdrant", redis: "Backing up Redis" };

/** Runs a backup. @throws the first error; clean-up errors are attached to it as `cleanupErrors`. */
export async function runBackup(options: BackupPlanOptions): Promise<BackupResult> {
  const { stack, target, events } = options;
  const started = Date.now();
  const steps = new StepCounter(7, events);
  const cleanups = new Cleanups();
  return withCleanups(cleanups, async () => {
    steps.next(`Preparing the backup of stack '${stack}'`);
    const backupId = options.backupId ?? newBackupId(new Date(started));
    const lock = await holdLock(target, stack, "backup", options, cleanups);
    const signal = lock.signal;
    const engines = sortEngines(options.engines);
    const facts = await sideBySide(signal, engines.map((engine) => (each: AbortSignal) => engine.inspect({ signal: each })));
    const versions = engines.map((engine, i) => `${engine.name} ${facts[i]?.version ?? "?"}`);
    events.ok(`Target: ${target.location}`);
    events.ok(`Backup id: ${backupId}`);
    if (versions.length > 0) events.ok(`Stores: ${versions.join(", ")}`);

    steps.next("Stopping the ingestion worker");
    await stopServices(options.services, lock, cleanups, events, "Stopped (jobs in progress finished first)");

    const sections: EngineSection[] = [];
    for (const name of ORDER) {
      steps.next(TITLES[name]);
      const engine = options.engines.find((e) => e.name === name);
      if (!engine) {
        events.ok("Skipped");
        continue;
      }
      const writeArtifact = artifactWriter(name, { target, stack, backupId, compression: options.compression, compressionExplicit: options.compressionExplicit ?? false, events, signal });
      const section = await engine.backup({ signal, events, writeArtifact });
      sections.push(section);
      events.ok(`${name}: ${formatBytes(storedBytes([section]))} stored (${describeCounts(section)})`);
    }
    await cleanups.runNow("services");

    steps.next("Writing the manifest");
    const databases: ManifestInput["databases"] = {};
    for (const section of sections) addSection(databases, section);
    const manifestInput: ManifestInput = {
      format_version: FORMAT_VERSION,
      tool: { name: "stackvault", version: options.toolVersion },
      backup_id: backupId,
      backup_timestamp: new Date(started).toISOString(),
      stack_name: stack,
      instance_id: options.instanceId ?? null,
      region: options.region ?? null,
      compression: options.compression,
      databases,
      skipped: ORDER.filter((n) => !options.engines.some((e) => e.name === n)),
      backup_duration_seconds: (Date.now() - started) / 1000,
      status: "completed",
    };
    const manifest = await writeManifest(target, metadataKey(stack, backupId), manifestInput, { signal });
    events.ok("metadata.json written");

    steps.next("Validating and publishing");
    if (options.validate ?? true) {
      assertVerified(await verifyBackup(target, backupPrefix(stack, backupId), manifest, { signal }));
      events.ok(`Every object re-read and verified (${manifestArtifactsCount(sections)} artifacts, sha256)`);
    } else {
      events.warn("Validation skipped (--no-validate): the objects were not re-read");
    }
    if (signal.aborted) throw new CancelledError("Cancelled before `latest` was moved; the backup is complete but not published.");
    const latestMoved = await moveLatest(target, stack, backupId, signal);
    events.ok(latestMoved ? `'latest' now names ${backupId}` : `'latest' already names a newer backup; left as it is`);
    const total = storedBytes(sections);
    const durationSeconds = (Date.now() - started) / 1000;
    const location = `${target.location.replace(/\/$/, "")}/${backupPrefix(stack, backupId)}`;
    events.ok(`Total size: ${formatBytes(total)} · Duration: ${formatDuration(durationSeconds)} · Location: ${location}`);
    return { backupId, manifest, location, storedBytes: total, durationSeconds, latestMoved };
  });
}

// --- internal ---

function sortEngines(engines: readonly Engine[]): Engine[] {
  return [...engines].sort((a, b) => ORDER.indexOf(a.name) - ORDER.indexOf(b.name));
}

function manifestArtifactsCount(sections: readonly EngineSection[]): number {
  return sections.reduce((n, s) => n + s.artifacts.length, 0);
}

function describeCounts(section: EngineSection): string {
  const c = section.counts;
  if (section.engine === "neo4j") return `${formatCount(c.nodes ?? 0)} nodes, ${formatCount(c.relationships ?? 0)} relationships`;
  if (section.engine === "qdrant") {
    const points = Object.entries(c).filter(([k]) => k.startsWith("points:"));
    return `${points.length} collections, ${formatCount(points.reduce((n, [, v]) => n + v, 0))} points`;
  }
  const keys = Object.entries(c).filter(([k]) => k.startsWith("keys:")).reduce((n, [, v]) => n + v, 0);
  return `${formatCount(keys)} keys`;
}
