/** `stackvault verify`: re-hash a backup's objects; `--deep` also restores it into scratch stores. */
import { InvalidArgumentError, Option } from "commander";
import type { CommandSpec } from "../command.ts";
import type { Config } from "../../config/schema.ts";
import { IntegrityError, UsageError } from "../../core/errors.ts";
import { Emitter } from "../../core/events.ts";
import { formatBytes } from "../../core/format.ts";
import { verifyBackup } from "../../manifest/index.ts";
import { completedManifest, resolveBackupId } from "../../plans/catalog.ts";
import { runRestore } from "../../plans/restore.ts";
import { backupPrefix } from "../../targets/layout.ts";
import { configuredEngines } from "../engines.ts";
import { confirm } from "../prompt.ts";
import { openConfiguredTarget } from "../target.ts";
import { backupSelectorOptions, yesOption } from "./shared.ts";

export const verifyCommand: CommandSpec = {
  path: ["verify"],
  summary: "check a backup's checksums (--deep: restore it into scratch stores)",
  description:
    "Reads every object of a backup and compares its sha256 and size with the manifest. With --deep, also restores " +
    "it into scratch stores given by the --scratch-* flags (their data is replaced; a store without a scratch flag is " +
    "left out) and compares the counts with the manifest. Verifies `latest` unless --backup-id is given. Exits 7 " +
    "when a checksum does not match, 10 when the scratch restore does not give the manifest's counts.",
  groups: ["stack", "target", "stores", "lock"],
  options: () => [
    ...backupSelectorOptions("verify the backup `latest` points to (the default)"),
    new Option("--deep", "also restore into scratch stores and compare counts"),
    new Option("--scratch-neo4j-uri <url>", "scratch Neo4j for --deep (its password: NEO4J_PASSWORD)").argParser(urlArg(["bolt", "neo4j", "bolt+s", "neo4j+s", "bolt+ssc", "neo4j+ssc"])),
    new Option("--scratch-qdrant-url <url>", "scratch Qdrant for --deep (its key: QDRANT_API_KEY)").argParser(urlArg(["http", "https"])),
    new Option("--scratch-redis-url <url>", "scratch Redis for --deep (its password: REDIS_PASSWORD)").argParser(urlArg(["redis", "rediss"])),
    yesOption(),
  ],
  requires: ["stack", "target"],
  examples: [
    "stackvault verify --stack KnowWhere-Production --bucket knowwhere-backups-715927975014",
    "stackvault verify --stack dev --target file:///srv/backups --deep --scratch-redis-url redis://127.0.0.1:6390",
  ],
  run: async (ctx, options) => {
    const { config, signal } = ctx;
    const scratch = options.deep === true ? scratchStores(config, options) : undefined;
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
    const summary = `Backup ${backupId} of '${stack}':\n${lines.join("\n")}`;
    if (!report.ok) {
      ctx.render.result({ backupId, ...report }, summary);
      const bad = report.artifacts.filter((a) => a.status !== "ok").map((a) => a.artifact.file);
      throw new IntegrityError(`Backup ${backupId} failed verification: ${bad.join(", ")}.`, { hint: "Do not restore from it; choose another backup with --backup-id." });
    }
    if (!scratch) {
      ctx.render.result({ backupId, ...report }, summary);
      return;
    }
    const engines = configuredEngines(scratch.config, "verify --deep", (c) => ctx.defer(c));
    const restored = await runRestore({
      stack, target, engines, backupId, signal, record: false,
      events: new Emitter(ctx.render.sink),
      lock: { leaseMs: config.lock.leaseSeconds * 1000 },
      confirm: async () => {
        await confirm(`Replace the data of the scratch stores (${scratch.described}) with backup ${stack}/${backupId}?`, { yes: options.yes === true, signal });
        return true;
      },
    });
    const stores = restored.plan.stores.map((s) => s.engine);
    ctx.render.result(
      { backupId, ...report, deep: { stores, leftAlone: restored.plan.leftAlone, durationSeconds: restored.durationSeconds } },
      `${summary}\n  ✓ restored into scratch ${stores.join(", ")} in ${restored.durationSeconds.toFixed(1)} s; counts match the manifest` +
        (restored.plan.leftAlone.length > 0 ? `\n  (not checked: ${restored.plan.leftAlone.join(", ")}, no scratch store given)` : ""),
    );
  },
};

// --- internal ---

/** The configuration of a deep verify: the scratch stores in place of the stack's, the others skipped. */
function scratchStores(config: Config, options: Record<string, unknown>): { config: Config; described: string } {
  const urls = { neo4j: options.scratchNeo4jUri, qdrant: options.scratchQdrantUrl, redis: options.scratchRedisUrl } as Record<"neo4j" | "qdrant" | "redis", string | undefined>;
  const own = { neo4j: config.neo4j.uri, qdrant: config.qdrant.url, redis: config.redis.url };
  const given = (Object.keys(urls) as (keyof typeof urls)[]).filter((k) => urls[k] !== undefined);
  if (given.length === 0) {
    throw new UsageError("--deep needs at least one scratch store.", { hint: "Give --scratch-neo4j-uri, --scratch-qdrant-url or --scratch-redis-url: their data is replaced by the backup's." });
  }
  for (const name of given) {
    if (sameServer(urls[name] ?? "", own[name])) {
      throw new UsageError(`The scratch ${name} (${urls[name]}) is the stack's own ${name}; --deep would replace its data.`, { hint: "Point the --scratch-* flag at a separate, disposable server." });
    }
  }
  const scratch = {
    ...config,
    neo4j: { ...config.neo4j, uri: urls.neo4j ?? config.neo4j.uri },
    qdrant: { ...config.qdrant, url: urls.qdrant ?? config.qdrant.url, collections: [] },
    redis: { ...config.redis, url: urls.redis ?? config.redis.url, restoreMode: "live" },
    skip: { neo4j: urls.neo4j === undefined, qdrant: urls.qdrant === undefined, redis: urls.redis === undefined },
  } as Config;
  return { config: scratch, described: given.map((n) => `${n} ${urls[n] ?? ""}`).join(", ") };
}

/** True when two store URLs name the same host and port (default ports and `localhost` normalised). */
function sameServer(a: string, b: string): boolean {
  const key = (u: string) => {
    const url = new URL(u);
    const scheme = url.protocol.slice(0, -1);
    const port = url.port || (DEFAULT_PORTS[scheme] ?? "");
    return `${url.hostname.replace(/^localhost$/, "127.0.0.1")}:${port}`;
  };
  return key(a) === key(b);
}

const DEFAULT_PORTS: Record<string, string> = { bolt: "7687", neo4j: "7687", "bolt+s": "7687", "neo4j+s": "7687", "bolt+ssc": "7687", "neo4j+ssc": "7687", http: "80", https: "443", redis: "6379", rediss: "6379" };

function urlArg(schemes: readonly string[]): (value: string) => string {
  return (value) => {
    if (!URL.canParse(value) || !schemes.includes(new URL(value).protocol.slice(0, -1))) {
      throw new InvalidArgumentError(`expected a ${schemes.map((s) => `${s}://`).join(" or ")} URL.`);
    }
    return value;
  };
}
