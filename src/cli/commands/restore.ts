/** `stackvault restore`: the seed's restore-stack (9 steps, nothing purged before the backup is proven good). */
import { InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../core/errors.ts";
import { COLLECTION_NAME } from "../../config/names.ts";
import type { CommandSpec } from "../command.ts";
import { Emitter } from "../../core/events.ts";
import { formatBytes } from "../../core/format.ts";
import { runRestore } from "../../plans/restore.ts";
import type { RestorePlanSummary } from "../../plans/restore.ts";
import { configuredEngines } from "../engines.ts";
import { runOnConfiguredHost } from "../host-run.ts";
import { directRun } from "../tunnels.ts";
import { confirm } from "../prompt.ts";
import { configuredServices } from "../services.ts";
import { restoreFacts, withRunReport } from "../run-report.ts";
import { openConfiguredTarget } from "../target.ts";
import { backupSelectorOptions, dryRunOption, stackArg, yesOption } from "./shared.ts";

export const restoreCommand: CommandSpec = {
  path: ["restore"],
  summary: "restore a backup into a running stack",
  description:
    "Puts a chosen backup back into the stack's stores. Every checksum and version is verified before anything is " +
    "purged; then app and worker are stopped, Neo4j, Qdrant and Redis are loaded, services restarted, and the counts " +
    "compared with the manifest. Asks for confirmation unless --yes (without a terminal, --yes is required).",
  groups: ["stack", "target", "host", "stores", "services", "lock", "notify"],
  options: () => [
    ...backupSelectorOptions("restore the backup `latest` points to"),
    new Option("--from-stack <name>", "restore a backup of another stack (the seed's -BackupSource)").argParser(stackArg),
    new Option("--rename <old=new>", "restore Qdrant collection OLD as NEW (repeatable, or comma-separated)").argParser(renameArg),
    yesOption(),
    dryRunOption("the plan (sizes, what will be overwritten)"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault restore --stack KnowWhere-Production --bucket knowwhere-backups-715927975014 --latest",
    "stackvault restore --stack Test-Restore --from-stack Test-Backup --latest --bucket knowwhere-backups-715927975014 --yes",
    "stackvault restore --stack dev --target file:///srv/backups --backup-id 2025-10-25T14-30-00Z --dry-run",
    "stackvault restore --stack dev --target file:///srv/backups --latest --skip-neo4j --skip-redis --rename knowbase=knowbase_check",
  ],
  run: async (ctx, options) => {
    if (options.latest !== true && options.backupId === undefined) {
      throw new UsageError("`restore` needs --latest or --backup-id ID.", { hint: "Run `stackvault list --stack NAME` to see the backups." });
    }
    const { signal } = ctx;
    if (await runOnConfiguredHost(ctx, "restore", options)) return;
    const { config, executor } = await directRun(ctx);
    const rename = options.rename as Record<string, string> | undefined;
    if (rename && config.skip.qdrant) throw new UsageError("--rename names Qdrant collections, but Qdrant is left out (--skip-qdrant).");
    const stack = config.stack ?? "";
    const target = await openConfiguredTarget(config, "restore");
    ctx.defer(() => target.close());
    const engines = configuredEngines(config, "restore", (c) => ctx.defer(c), rename ? { qdrantRename: rename } : {});
    const services = configuredServices(config, executor, "restore");
    const events = new Emitter(ctx.render.sink);
    const result = await withRunReport({ config, events, operation: "restore", stack, target, enabled: options.dryRun !== true }, () => runRestore({
      stack, target, engines, signal, events,
      ...(typeof options.fromStack === "string" ? { fromStack: options.fromStack } : {}),
      ...(typeof options.backupId === "string" ? { backupId: options.backupId } : {}),
      ...(services ? { services } : {}),
      lock: { leaseMs: config.lock.leaseSeconds * 1000 },
      dryRun: options.dryRun === true,
      confirm: async (plan) => {
        await (ctx.confirm ?? confirm)(`Replace the data of ${describe(plan)} in stack '${stack}' with backup ${plan.fromStack}/${plan.backupId}?`, { yes: options.yes === true, signal });
        return true;
      },
    }), restoreFacts);
    const bytes = result.plan.stores.reduce((n, s) => n + s.bytes, 0);
    const text = result.restored
      ? `Restored ${result.plan.fromStack}/${result.plan.backupId} into '${stack}' in ${result.durationSeconds.toFixed(1)} s.`
      : `Dry run: would restore ${result.plan.fromStack}/${result.plan.backupId} (${formatBytes(bytes)}) into ${describe(result.plan)} of '${stack}'. Nothing was changed.`;
    ctx.render.result(result, text);
  },
};

// --- internal ---

/** Parses `old=new[,old2=new2]` into the mapping accumulated over repeated flags. */
function renameArg(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const out = { ...previous };
  const targets = new Set(Object.values(out));
  for (const pair of value.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const [from, to, ...rest] = pair.split("=");
    if (from === undefined || to === undefined || rest.length > 0 || !COLLECTION_NAME.test(from) || !COLLECTION_NAME.test(to)) {
      throw new InvalidArgumentError(`expected OLD=NEW collection names (letters, digits, '-', '_', '.'), not ${JSON.stringify(pair)}.`);
    }
    if (from in out) throw new InvalidArgumentError(`collection '${from}' is renamed twice.`);
    if (targets.has(to)) throw new InvalidArgumentError(`two collections would be restored as '${to}'.`);
    out[from] = to;
    targets.add(to);
  }
  return out;
}

function describe(plan: RestorePlanSummary): string {
  return plan.stores.map((s) => s.engine).join(", ") || "no store";
}
