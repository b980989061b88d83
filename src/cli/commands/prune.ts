/** `stackvault prune`: apply the retention policy. */
import { Option } from "commander";
import { Emitter } from "../../core/events.ts";
import { formatBytes } from "../../core/format.ts";
import { effectiveRetention, readRetentionPolicy } from "../../plans/prune-policy.ts";
import { runPrune } from "../../plans/prune.ts";
import type { PruneDecision } from "../../plans/prune-select.ts";
import type { CommandSpec } from "../command.ts";
import { table } from "../render/table.ts";
import { openConfiguredTarget } from "../target.ts";
import { dryRunOption } from "./shared.ts";

export const pruneCommand: CommandSpec = {
  path: ["prune"],
  summary: "delete backups outside the retention policy",
  description:
    "Deletes the backups the retention policy does not keep (restic-style --keep-last/--keep-daily/--keep-weekly/" +
    "--keep-monthly; retention-policy.json at the target root is the default policy when present, explicit settings " +
    "win). Never deletes `latest` or the newest --keep-last verified backups, and refuses when the newest backup shrank " +
    "suspiciously (see --min-size-ratio) unless --allow-shrunk is given. Failed backups are removed and never counted " +
    "as kept; a backup without a manifest is removed only once its lock lease has expired. Takes the stack lock.",
  groups: ["stack", "target", "retention", "lock"],
  options: () => [
    dryRunOption("what would be deleted"),
    new Option("--allow-shrunk", "prune even if the newest backup is much smaller than the previous one"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault prune --stack KnowWhere-Production --bucket knowwhere-backups-715927975014 --dry-run",
    "stackvault prune --stack dev --target file:///srv/backups --keep-last 3 --keep-daily 7 --keep-weekly 4 --keep-monthly 0",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const stack = config.stack ?? "";
    const target = await openConfiguredTarget(config, "prune");
    ctx.defer(() => target.close());
    const policy = effectiveRetention(config, await readRetentionPolicy(target, signal), stack);
    const events = new Emitter(ctx.render.sink);
    const r = policy.rules;
    events.info(
      `Policy: keep last ${r.keepLast}, daily ${r.keepDaily}, weekly ${r.keepWeekly}, monthly ${r.keepMonthly}` +
        `${r.keepWithinDays ? `, within ${r.keepWithinDays} days` : ""}, min size ratio ${r.minSizeRatio}` +
        `${policy.fromFile ? " (retention-policy.json applies where no setting was given)" : ""}`,
    );
    const result = await runPrune({
      target, stack, events, signal,
      rules: policy.rules,
      dryRun: options.dryRun === true,
      allowShrunk: options.allowShrunk === true,
      lock: { leaseMs: config.lock.leaseSeconds * 1000 },
    });
    const rows = [...result.delete.map((d) => ({ d, go: true })), ...result.keep.map((d) => ({ d, go: false }))].sort((a, b) => (a.d.backupId < b.d.backupId ? 1 : -1));
    const verb = result.dryRun ? "would delete" : "deleted";
    const text = [
      table(rows, [
        { title: "BACKUP ID", value: (x: { d: PruneDecision; go: boolean }) => x.d.backupId },
        { title: "SIZE", value: (x) => formatBytes(x.d.bytes), right: true },
        { title: "STATUS", value: (x) => x.d.status },
        { title: "ACTION", value: (x) => (x.go ? verb : "keep") },
        { title: "WHY", value: (x) => x.d.reasons.join(", ") },
      ], `No backup of '${stack}' in ${target.location}.`),
      result.wouldRefuse
        ? `Dry run: prune would refuse: ${result.wouldRefuse}. Nothing was changed.`
        : result.dryRun
          ? `Dry run: would delete ${result.delete.length} backup(s), ${formatBytes(result.freedBytes)}; keep ${result.keep.length}. Nothing was changed.`
          : `Deleted ${result.delete.length} backup(s), ${formatBytes(result.freedBytes)}; kept ${result.keep.length}.` +
            (target.kind === "s3" && result.delete.length > 0 ? " On a versioned bucket the old versions stay until the noncurrent-version lifecycle rule expires them." : ""),
    ].join("\n");
    ctx.render.result({ ...result, policy }, text);
  },
};
