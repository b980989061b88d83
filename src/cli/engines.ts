/**
 * The engines a command works with, built from the configuration (direct mode: stores reached by URL from
 * this process). Stores left out with `--skip-…` get no engine. Every engine is closed by a deferred step.
 */
import { NotAvailableError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Engine, EngineName } from "../engines/engine.ts";
import { createNeo4jEngine } from "../engines/neo4j/index.ts";
import { createQdrantEngine } from "../engines/qdrant/index.ts";
import { createRedisEngine } from "../engines/redis/index.ts";
import { requireSecret } from "./secrets.ts";

/** Per-run choices that are command flags rather than settings. */
export interface EngineChoices {
  /** Restore Qdrant collection `old` under the name `new` (`restore --rename old=new`). */
  qdrantRename?: Readonly<Record<string, string>>;
}

/** Engines for every store not skipped, in backup order; each is closed through `defer`. */
export function configuredEngines(config: Config, command: string, defer: (cleanup: () => Promise<void>) => void, choices: EngineChoices = {}): Engine[] {
  const engines: Engine[] = [];
  for (const name of ["neo4j", "qdrant", "redis"] as const) {
    if (config.skip[name]) continue;
    const engine = createEngine(name, config, command, choices);
    defer(() => engine.close());
    engines.push(engine);
  }
  return engines;
}

/** Refuses `--host` runs in this version: the data plane runs in this process (direct mode). */
export function requireDirectMode(config: Config, command: string): void {
  if (config.host !== undefined) {
    throw new NotAvailableError(`\`${command} --host ${config.host}\` (a run on the remote host) is not available yet in this version.`, {
      hint: "Run stackvault on the host itself, or reach the stores by URL (--neo4j-uri, --qdrant-url, --redis-url) with --direct.",
    });
  }
}

// --- internal ---

function createEngine(name: EngineName, config: Config, command: string, choices: EngineChoices): Engine {
  switch (name) {
    case "neo4j":
      return createNeo4jEngine({
        uri: config.neo4j.uri,
        user: config.neo4j.user,
        database: config.neo4j.database,
        method: config.neo4j.method,
        password: requireSecret(config.secrets.neo4jPassword, "NEO4J_PASSWORD", "--neo4j-password-file", command),
      });
    case "redis":
      if (config.redis.restoreMode === "file") {
        throw new NotAvailableError("The Redis `file` restore mode is not available yet in this version.", { hint: "Use --redis-restore-mode live (the default)." });
      }
      return createRedisEngine({ url: config.redis.url, ...(config.secrets.redisPassword ? { password: config.secrets.redisPassword } : {}) });
    case "qdrant":
      return createQdrantEngine({
        url: config.qdrant.url,
        collections: config.qdrant.collections,
        ...(config.secrets.qdrantApiKey ? { apiKey: config.secrets.qdrantApiKey } : {}),
        ...(choices.qdrantRename ? { rename: choices.qdrantRename } : {}),
      });
  }
}
