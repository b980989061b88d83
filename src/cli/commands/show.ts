/** `stackvault show`: one backup's manifest, readable. */
import type { CommandSpec } from "../command.ts";
import { formatBytes, formatCount, formatDuration } from "../../core/format.ts";
import { manifestArtifacts } from "../../manifest/index.ts";
import type { Manifest } from "../../manifest/index.ts";
import { completedManifest, resolveBackupId } from "../../plans/catalog.ts";
import { openConfiguredTarget } from "../target.ts";
import { backupSelectorOptions } from "./shared.ts";

export const showCommand: CommandSpec = {
  path: ["show"],
  summary: "show one backup's manifest",
  description:
    "Prints one backup's metadata.json in readable form: versions, artifacts with sizes and checksums, counts per " +
    "store, duration and status. Shows `latest` unless --backup-id is given.",
  groups: ["stack", "target"],
  options: () => backupSelectorOptions("show the backup `latest` points to (the default)"),
  requires: ["stack", "target"],
  examples: [
    "stackvault show --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault show --stack dev --target file:///srv/backups --backup-id 2025-10-25T14-30-00Z --json",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const stack = config.stack ?? "";
    const target = await openConfiguredTarget(config, "show");
    ctx.defer(() => target.close());
    const backupId = await resolveBackupId(target, stack, typeof options.backupId === "string" ? options.backupId : undefined, signal);
    const manifest = await completedManifest(target, stack, backupId, signal);
    ctx.render.result(manifest, describe(manifest));
  },
};

// --- internal ---

function describe(m: Manifest): string {
  const lines = [
    `Backup ${m.backup_id} of stack '${m.stack_name}' (${m.status})`,
    `  taken        ${m.backup_timestamp} in ${formatDuration(m.backup_duration_seconds)} by stackvault ${m.tool.version}`,
    `  instance     ${m.instance_id ?? "-"} (${m.region ?? "no region"})`,
    `  compression  ${m.compression}${m.skipped.length > 0 ? ` · skipped: ${m.skipped.join(", ")}` : ""}`,
  ];
  const { neo4j, qdrant, redis } = m.databases;
  if (neo4j) lines.push(`  neo4j        ${neo4j.version} · ${neo4j.backup_method} · ${formatCount(neo4j.node_count)} nodes, ${formatCount(neo4j.relationship_count)} relationships · ${neo4j.schema.constraints} constraints, ${neo4j.schema.indexes} indexes`);
  if (qdrant) for (const [name, c] of Object.entries(qdrant.collections)) lines.push(`  qdrant       ${qdrant.version} · ${name}: ${formatCount(c.points_count)} points`);
  if (redis) lines.push(`  redis        ${redis.version} · ${formatCount(redis.keys_count)} keys in ${Object.keys(redis.keys_per_db).length} databases${Object.keys(redis.rq_queues).length > 0 ? ` · RQ queues ${Object.entries(redis.rq_queues).map(([q, n]) => `${q}=${n}`).join(", ")}` : ""}`);
  lines.push("  artifacts");
  for (const { artifact } of manifestArtifacts(m)) lines.push(`    ${artifact.file}  ${formatBytes(artifact.size_bytes)} (raw ${formatBytes(artifact.raw_size_bytes)})  sha256 ${artifact.checksum_sha256.slice(0, 16)}…`);
  return lines.join("\n");
}
