/** `stackvault verify`: re-hash a backup's objects; `--deep` also restores it into scratch stores. */
import { Option } from "commander";
import type { CommandSpec } from "../command.ts";
import { IntegrityError } from "../../core/errors.ts";
import { formatBytes } from "../../core/format.ts";
import { verifyBackup } from "../../manifest/index.ts";
import { completedManifest, resolveBackupId } from "../../plans/catalog.ts";
import { backupPrefix } from "../../targets/layout.ts";
import { openConfiguredTarget } from "../target.ts";
import { backupSelectorOptions, notAvailable } from "./shared.ts";

export const verifyCommand: CommandSpec = {
  path: ["verify"],
  summary: "check a backup's checksums (--deep: restore it into scratch stores)",
  description:
    "Reads every object of a backup and compares its sha256 and size with the manifest. With --deep, also restores " +
    "it into scratch stores given by the --scratch-* flags and compares the counts. Verifies `latest` unless " +
    "--backup-id is given. Exits 7 when anything does not match.",
  groups: ["stack", "target"],
  options: () => [
    ...backupSelectorOptions("verify the backup `latest` points to (the default)"),
    new Option("--deep", "also restore into scratch stores and compare counts"),
    new Option("--scratch-neo4j-uri <url>", "scratch Neo4j for --deep (its password: NEO4J_PASSWORD)"),
    new Option("--scratch-qdrant-url <url>", "scratch Qdrant for --deep"),
    new Option("--scratch-redis-url <url>", "scratch Redis for --deep"),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault verify --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault verify --stack dev --target file:///srv/backups --deep --scratch-redis-url redis://127.0.0.1:6390",
  ],
  run: async (ctx, options) => {
    if (options.deep === true) notAvailable("verify --deep");
    const { config, signal } = ctx;
    const stack = config.stack ?? "";
    const target = await openConfiguredTarget(config, "verify");
    ctx.defer(() => target.close());
    const backupId = await resolveBackupId(target, stack, typeof options.backupId === "string" ? options.backupId : undefined, signal);
    const manifest = await completedManifest(target, stack, backupId, signal);
    const id = `verify ${backupId}`;
    const report = await verifyBackup(target, backupPrefix(stack, backupId), manifest, {
      signal,
      onProgress: (p) => ctx.render.sink({ type: "progress", id, label: `verifying ${backupId}`, bytes: p.doneBytes, total: p.totalBytes, time: new Date().toISOString() }),
    });
    ctx.render.sink({ type: "progress-end", id, time: new Date().toISOString() });
    const lines = report.artifacts.map((a) => `  ${a.status === "ok" ? "✓" : "✗"} ${a.artifact.file}: ${a.status === "ok" ? `${formatBytes(a.artifact.size_bytes)} sha256 ok` : a.status.replace("_", " ")}`);
    ctx.render.result({ backupId, ...report }, `Backup ${backupId} of '${stack}':\n${lines.join("\n")}`);
    if (!report.ok) {
      const bad = report.artifacts.filter((a) => a.status !== "ok").map((a) => a.artifact.file);
      throw new IntegrityError(`Backup ${backupId} failed verification: ${bad.join(", ")}.`, { hint: "Do not restore from it; choose another backup with --backup-id." });
    }
  },
};
