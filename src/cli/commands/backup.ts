/** `stackvault backup`: the seed's backup-stack (7 steps). */
import { Emitter } from "../../core/events.ts";
import { formatBytes } from "../../core/format.ts";
import { runBackup } from "../../plans/backup.ts";
import type { CommandSpec } from "../command.ts";
import { configuredEngines } from "../engines.ts";
import { runOnConfiguredHost } from "../host-run.ts";
import { directRun } from "../tunnels.ts";
import { packageVersion } from "../program.ts";
import { configuredServices } from "../services.ts";
import { backupFacts, withRunReport } from "../run-report.ts";
import { openConfiguredTarget } from "../target.ts";
import { dryRunOption } from "./shared.ts";

export const backupCommand: CommandSpec = {
  path: ["backup"],
  summary: "back up Neo4j, Qdrant and Redis of a stack",
  description:
    "Takes one consistent, verified, versioned backup of the stack's three stores: stops the RQ worker (warm shutdown), " +
    "streams Neo4j, every Qdrant collection and Redis through compression and sha256 to the target, writes metadata.json " +
    "last, re-reads every object (unless --no-validate) and only then moves `latest`. The worker is restarted whatever happens.",
  groups: ["stack", "target", "backup", "host", "stores", "services", "lock", "notify"],
  options: () => [dryRunOption("what would be backed up, and where,")],
  requires: ["stack", "target"],
  examples: [
    "stackvault backup --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault backup --stack dev --target file:///srv/backups --direct --skip-redis --compression gzip",
  ],
  run: async (ctx, options) => {
    const { signal } = ctx;
    if (await runOnConfiguredHost(ctx, "backup", options)) return;
    const { config, executor } = await directRun(ctx);
    const stack = config.stack ?? "";
    const events = new Emitter(ctx.render.sink);
    const target = await openConfiguredTarget(config, "backup");
    ctx.defer(() => target.close());
    const engines = configuredEngines(config, "backup", (c) => ctx.defer(c));
    if (options.dryRun === true) {
      const stores = [];
      for (const engine of engines) stores.push({ engine: engine.name, ...(await engine.inspect({ signal })) });
      const text = [`Would back up stack '${stack}' to ${target.location}:`, ...stores.map((s) => `  ${s.engine} ${s.version}: ${JSON.stringify(s.counts)}`), "Nothing was changed."].join("\n");
      ctx.render.result({ dryRun: true, stack, target: target.location, stores }, text);
      return;
    }
    const services = configuredServices(config, executor, "backup");
    const result = await withRunReport({ config, events, operation: "backup", stack, target }, () => runBackup({
      stack, target, engines, events, signal,
      compression: config.compression,
      compressionExplicit: config.sources.compression !== "default",
      validate: config.validate,
      ...(services ? { services } : {}),
      lock: { leaseMs: config.lock.leaseSeconds * 1000 },
      region: config.region,
      toolVersion: packageVersion(),
    }), backupFacts);
    ctx.render.result(
      { backupId: result.backupId, location: result.location, storedBytes: result.storedBytes, durationSeconds: result.durationSeconds, latestMoved: result.latestMoved, manifest: result.manifest },
      `Backup ${result.backupId} completed: ${formatBytes(result.storedBytes)} in ${result.durationSeconds.toFixed(1)} s at ${result.location}`,
    );
  },
};
