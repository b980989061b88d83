/** `stackvault list`: the backups of a stack (or of every stack) as a table. */
import type { CommandSpec } from "../command.ts";
import { formatBytes, formatCount } from "../../core/format.ts";
import { listBackups, listStacks, type CatalogEntry } from "../../plans/catalog.ts";
import { parseBackupId } from "../../targets/layout.ts";
import { age, table } from "../render/table.ts";
import { openConfiguredTarget } from "../target.ts";

export const listCommand: CommandSpec = {
  path: ["list"],
  summary: "list backups: id, age, size, counts, status, latest",
  description:
    "Lists the backups in the target: id, age, size, counts per store, status, and which one `latest` points to. " +
    "Without --stack, lists every stack that has backups. With --json, prints one JSON document.",
  groups: ["stack", "target"],
  requires: ["target"],
  examples: [
    "stackvault list --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault list --target file:///srv/backups --json",
  ],
  run: async (ctx) => {
    const { config, signal } = ctx;
    const target = await openConfiguredTarget(config, "list");
    ctx.defer(() => target.close());
    if (config.stack === undefined) {
      const stacks = await listStacks(target, signal);
      ctx.render.result({ target: target.location, stacks }, stacks.length === 0 ? `No stack has backups in ${target.location}.` : `Stacks with backups in ${target.location}:\n  ${stacks.join("\n  ")}\nRun \`stackvault list --stack NAME\` for one stack's backups.`);
      return;
    }
    const entries = await listBackups(target, config.stack, signal);
    const doc = { target: target.location, stack: config.stack, backups: entries.map(({ manifest, ...rest }) => ({ ...rest, counts: manifest ? summary(manifest) : undefined })) };
    const now = Date.now();
    const text = table(entries.slice().reverse(), [
      { title: "BACKUP ID", value: (e: CatalogEntry) => e.backupId },
      { title: "AGE", value: (e) => age((now - (parseBackupId(e.backupId)?.getTime() ?? now)) / 1000), right: true },
      { title: "SIZE", value: (e) => formatBytes(e.bytes), right: true },
      { title: "NODES", value: (e) => count(e, (m) => m.databases.neo4j?.node_count), right: true },
      { title: "RELS", value: (e) => count(e, (m) => m.databases.neo4j?.relationship_count), right: true },
      { title: "POINTS", value: (e) => count(e, (m) => (m.databases.qdrant ? Object.values(m.databases.qdrant.collections).reduce((n, c) => n + c.points_count, 0) : undefined)), right: true },
      { title: "KEYS", value: (e) => count(e, (m) => m.databases.redis?.keys_count), right: true },
      { title: "STATUS", value: (e) => e.status },
      { title: "", value: (e) => (e.isLatest ? "← latest" : "") },
    ], `No backup of '${config.stack}' in ${target.location}.`);
    ctx.render.result(doc, text);
  },
};

// --- internal ---

type Manifest = NonNullable<CatalogEntry["manifest"]>;

function count(entry: CatalogEntry, pick: (m: Manifest) => number | undefined): string {
  const value = entry.manifest ? pick(entry.manifest) : undefined;
  return value === undefined ? "-" : formatCount(value);
}

function summary(m: Manifest): Record<string, number> {
  const out: Record<string, number> = {};
  if (m.databases.neo4j) Object.assign(out, { nodes: m.databases.neo4j.node_count, relationships: m.databases.neo4j.relationship_count });
  if (m.databases.qdrant) for (const [name, c] of Object.entries(m.databases.qdrant.collections)) out[`points:${name}`] = c.points_count;
  if (m.databases.redis) out.keys = m.databases.redis.keys_count;
  return out;
}
