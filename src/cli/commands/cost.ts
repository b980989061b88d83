/** `stackvault cost`: estimate what the backups cost per month. */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Option } from "commander";
import { ConfigError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import { listBackups } from "../../plans/catalog.ts";
import { effectiveRetention, readRetentionPolicy } from "../../plans/prune-policy.ts";
import { estimateCost, parsePrices } from "../../stack/aws/cost.ts";
import type { CostInput, CostLine } from "../../stack/aws/cost.ts";
import { parseBackupId } from "../../targets/layout.ts";
import type { CommandSpec } from "../command.ts";
import { table } from "../render/table.ts";
import { openConfiguredTarget } from "../target.ts";
import { positiveArg } from "./shared.ts";

const MIB = 1024 * 1024;

export const costCommand: CommandSpec = {
  path: ["cost"],
  summary: "estimate the monthly S3 cost of the backups",
  description:
    "Estimates the monthly storage, request and transfer cost of the backups in --region. With --stack and a " +
    "target, the backup size, objects per backup and backups per day are measured from the stack's completed " +
    "backups; otherwise they come from --size-mib and --per-day. The number of backups kept follows the retention " +
    "policy (settings and retention-policy.json, as prune applies it), or --retention-days for an age-based rule. " +
    "Prices are S3 Standard list prices per region; --prices FILE overrides them.",
  groups: ["stack", "target", "retention"],
  options: () => [
    new Option("--size-mib <n>", "size of one backup in MiB (default: measured, or 300)").argParser(positiveArg),
    new Option("--per-day <n>", "backups per day (default: measured, or 1)").argParser(positiveArg),
    new Option("--retention-days <n>", "keep every backup this many days instead of the retention policy").argParser(positiveArg),
    new Option("--prices <file>", "JSON prices in USD: storagePerGbMonth, putPer1000, getPer1000, egressPerGb"),
  ],
  examples: [
    "stackvault cost --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault cost --size-mib 300 --per-day 1 --retention-days 30 --region eu-west-1",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const measured: { bytes?: number; objects?: number; perDay?: number; backups?: number } = {};
    let rules = effectiveRetention(config, undefined, config.stack ?? "").rules;
    if (config.target !== undefined) {
      const target = await openConfiguredTarget(config, "cost");
      ctx.defer(() => target.close());
      rules = effectiveRetention(config, await readRetentionPolicy(target, signal), config.stack ?? "").rules;
      if (config.stack !== undefined) Object.assign(measured, measure(await listBackups(target, config.stack, signal)));
    }
    const prices = typeof options.prices === "string" ? parsePrices(await readPriceFile(path.resolve(ctx.io.cwd, options.prices)), options.prices) : undefined;
    const input: CostInput = {
      region: config.region,
      backupBytes: typeof options.sizeMib === "number" ? options.sizeMib * MIB : (measured.bytes ?? 300 * MIB),
      objectsPerBackup: measured.objects ?? 7,
      partSizeBytes: config.s3.partSizeMib * MIB,
      backupsPerDay: typeof options.perDay === "number" ? options.perDay : (measured.perDay ?? 1),
      retention: typeof options.retentionDays === "number" ? { days: options.retentionDays } : { rules },
      validate: config.validate,
      ...(prices ? { prices } : {}),
    };
    const estimate = estimateCost(input);
    const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
    const text = [
      `Estimated monthly S3 cost in ${estimate.region} (${estimate.pricesFrom}):`,
      `  one backup: ${formatBytes(input.backupBytes)}${measured.bytes !== undefined && options.sizeMib === undefined ? ` (measured over ${measured.backups} backup(s))` : ""}, ` +
        `${input.backupsPerDay} a day, ${estimate.keptBackups} kept (${"days" in input.retention ? `${input.retention.days} days` : "retention policy"})`,
      table(estimate.lines, [
        { title: "ITEM", value: (l: CostLine) => l.item },
        { title: "QUANTITY", value: (l) => `${l.unit === "requests" ? Math.round(l.quantity).toLocaleString("en-US") : l.quantity.toFixed(2)} ${l.unit}`, right: true },
        { title: "UNIT PRICE", value: (l) => (l.unitPrice === 0 ? "free" : l.unit === "requests" ? `$${(l.unitPrice * 1000).toFixed(4)}/1k` : `$${l.unitPrice.toFixed(4)}`), right: true },
        { title: "PER MONTH", value: (l) => usd(l.monthly), right: true },
      ]),
      `Total: ${usd(estimate.monthlyTotal)} a month (${usd(estimate.monthlyTotal * 12)} a year).`,
      `A restore inside ${estimate.region} transfers for free; downloading one backup out of AWS costs about ${usd(estimate.restoreOutsideAws)}.`,
    ].join("\n");
    ctx.render.result({ input: { ...input, measured }, ...estimate }, text);
  },
};

// --- internal ---

/** Size, objects and rate of the stack's completed backups (the newest 10 for the size, the last 30 days for the rate). */
function measure(entries: Awaited<ReturnType<typeof listBackups>>): { bytes?: number; objects?: number; perDay?: number; backups?: number } {
  const done = entries.filter((e) => e.status === "completed");
  if (done.length === 0) return {};
  const recent = done.slice(-10);
  const out: { bytes?: number; objects?: number; perDay?: number; backups?: number } = {
    bytes: recent.reduce((n, e) => n + e.bytes, 0) / recent.length,
    objects: Math.round(recent.reduce((n, e) => n + e.objects, 0) / recent.length) + 1,
    backups: recent.length,
  };
  const times = done.map((e) => parseBackupId(e.backupId)?.getTime()).filter((t): t is number => t !== undefined);
  const newest = times[times.length - 1];
  if (newest !== undefined) {
    const window = times.filter((t) => t >= newest - 30 * 86_400_000);
    const first = window[0];
    const spanDays = first === undefined ? 0 : (newest - first) / 86_400_000;
    if (window.length >= 2 && spanDays > 0) out.perDay = Math.round(((window.length - 1) / spanDays) * 100) / 100;
  }
  return out;
}

async function readPriceFile(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read the price file ${file}: ${(err as Error).message}`, { cause: err });
  }
}
