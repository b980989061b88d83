/** `stackvault stack destroy`: the seed's destroy-cloudformation, with the backup built in. */
import { InvalidArgumentError, Option } from "commander";
import { CloudError, UsageError, ValidationError } from "../../core/errors.ts";
import { Emitter } from "../../core/events.ts";
import { requireSetting } from "../../config/require.ts";
import { completedManifest } from "../../plans/catalog.ts";
import { readLatest } from "../../plans/latest.ts";
import { cloudFormationStacks, missingStack } from "../../stack/aws/cloudformation.ts";
import { deleteVolumes, stackVolumes } from "../../stack/aws/volumes.ts";
import type { CommandSpec } from "../command.ts";
import type { CommandContext } from "../context.ts";
import { confirmTyped } from "../prompt.ts";
import { runNested, stackRunPlace } from "../stack-run.ts";
import { openConfiguredTarget } from "../target.ts";
import { backupCommand } from "./backup.ts";
import { yesOption } from "./shared.ts";

export const stackDestroyCommand: CommandSpec = {
  path: ["stack", "destroy"],
  summary: "destroy the CloudFormation stack (after a backup with --backup)",
  description:
    "Shows what will be deleted (stack, instances, volumes) and asks you to type the stack name unless --yes. " +
    "With --backup, first takes a verified backup on the stack's host (found from the stack's outputs or EC2 " +
    "tags, or --host) and deletes nothing if it fails. Deletes the stack, waits for DELETE_COMPLETE, then lists " +
    "the EBS volumes it left behind and deletes them with --delete-orphan-volumes.",
  groups: ["stack", "target", "backup", "host", "stores", "services", "lock"],
  options: () => [
    new Option("--backup", "back up first; destroy only if the backup succeeded and validated (the seed's -Backup)"),
    yesOption(),
    new Option("--delete-orphan-volumes", "also delete the stack's EBS volumes left behind"),
    new Option("--volume-tag <key=value>", "a volume carrying all these tags is the stack's too (repeatable)").argParser(collectTag),
  ],
  requires: ["stack"],
  examples: [
    "stackvault stack destroy --stack KnowWhere-Production --backup --bucket knowwhere-backups-715927975014",
    "stackvault stack destroy --stack Test-Backup --backup --bucket knowwhere-backups-715927975014 --yes --delete-orphan-volumes",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const stack = config.stack ?? "";
    const region = config.region;
    const withBackup = options.backup === true;
    if (withBackup) {
      requireSetting(config, "target", "stack destroy --backup");
      if (!config.validate) throw new UsageError("--backup needs a validated backup before anything is deleted; drop --no-validate.");
    }
    const events = new Emitter(ctx.render.sink);
    const tags = (options.volumeTag as Record<string, string> | undefined) ?? {};
    const cfn = await cloudFormationStacks({ region, events, signal });
    ctx.defer(() => cfn.close());
    const info = await cfn.describe(stack);
    if (info === undefined) throw missingStack(stack, region);
    const resources = await cfn.resources(stack);
    const volumes = await stackVolumes({ stack, region, tags, signal });
    const instances = resources.filter((r) => r.type === "AWS::EC2::Instance").map((r) => r.physicalId);
    events.info(`Stack ${stack} (${info.status}, ${region}) will be deleted with its ${resources.length} resource(s):`);
    for (const r of resources) events.info(`  ${r.type} ${r.logicalId} ${r.physicalId}`);
    for (const v of volumes) events.info(`  EBS volume ${v.volumeId} (${v.sizeGib} GiB, ${v.state}${v.name ? `, ${v.name}` : ""})`);
    if (!withBackup) events.warn(`No --backup: every piece of data on stack ${stack} will be LOST.`);
    await confirmTyped(withBackup ? `Stack ${stack} will be destroyed after a backup.` : `Destroy stack ${stack} WITHOUT a backup?`, stack, { yes: options.yes === true, signal });

    const backup = withBackup ? await backUpFirst(ctx, info, events) : undefined;

    await cfn.destroy(stack);
    const orphans = await stackVolumes({ stack, region, tags, onlyAvailable: true, signal });
    let removed: Awaited<ReturnType<typeof deleteVolumes>> = { deleted: [], failed: [] };
    if (orphans.length === 0) events.ok("No EBS volume left behind");
    else if (options.deleteOrphanVolumes === true) {
      removed = await deleteVolumes(orphans.map((v) => v.volumeId), { region, signal });
      for (const id of removed.deleted) events.ok(`Deleted EBS volume ${id}`);
      for (const f of removed.failed) events.warn(`EBS volume ${f.volumeId} not deleted: ${f.reason}`);
    } else {
      events.warn(`${orphans.length} EBS volume(s) left behind: ${orphans.map((v) => `${v.volumeId} (${v.sizeGib} GiB)`).join(", ")}; add --delete-orphan-volumes to delete them.`);
    }
    const doc = {
      stack, region, deleted: true, instances,
      backup: backup ?? null,
      orphanVolumes: orphans.map((v) => v.volumeId),
      deletedVolumes: removed.deleted,
      failedVolumes: removed.failed,
    };
    if (removed.failed.length > 0) {
      throw new CloudError(`Stack ${stack} was deleted, but ${removed.failed.length} EBS volume(s) could not be: ${removed.failed.map((f) => f.volumeId).join(", ")}.`, { hint: "Delete them in the EC2 console, or rerun with the permission ec2:DeleteVolume." });
    }
    ctx.render.result(doc, `Stack ${stack} deleted${backup ? `; backup ${backup.backupId} kept at ${backup.location}` : ""}.`);
  },
};

// --- internal ---

/**
 * Runs the backup on the stack's host and proves, from here, that it is stored complete and that `latest`
 * names it (or a newer one) before anything is deleted.
 * @throws the backup's own error, or ValidationError when the backup cannot be found complete in the target.
 */
async function backUpFirst(ctx: CommandContext, info: Parameters<typeof stackRunPlace>[1], events: Emitter): Promise<{ backupId: string; location: string }> {
  const stack = info.name;
  const place = await stackRunPlace(ctx, info, events);
  events.info(`Backing up stack ${stack} before deleting it`);
  let doc: Record<string, unknown>;
  try {
    doc = await runNested(ctx, backupCommand, place.config, {});
  } catch (err) {
    events.log("error", `The backup failed: stack ${stack} was NOT deleted.`);
    throw err;
  }
  const backupId = typeof doc.backupId === "string" ? doc.backupId : "";
  const refuse = (why: string) => new ValidationError(`The backup did not validate (${why}): stack ${stack} was NOT deleted.`, { hint: "Run `stackvault verify --latest` and the backup again before destroying." });
  if (backupId === "") throw refuse("the run reported no backup id");
  const target = await openConfiguredTarget(ctx.config, "stack destroy");
  try {
    const manifest = await completedManifest(target, stack, backupId, ctx.signal);
    if (manifest.status !== "completed") throw refuse(`its manifest says ${manifest.status}`);
    const latest = (await readLatest(target, stack, ctx.signal))?.pointer.backup_id;
    if (latest === undefined || latest < backupId) throw refuse(`'latest' names ${latest ?? "nothing"}, not ${backupId}`);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw refuse((err as Error).message);
  } finally {
    await target.close();
  }
  const location = typeof doc.location === "string" ? doc.location : `${target.location}`;
  events.ok(`Backup ${backupId} is stored and validated; deleting the stack`);
  return { backupId, location };
}

function collectTag(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError("expected KEY=VALUE, e.g. Project=KnowWhere.");
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
