/**
 * The engines a command works with, built from the configuration (direct mode: stores reached by URL from
 * this process). Stores left out with `--skip-…` get no engine. Every engine is closed by a deferred step.
 */
import { ConfigError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Engine, EngineName } from "../engines/engine.ts";
import { createNeo4jEngine } from "../engines/neo4j/index.ts";
import { createQdrantEngine } from "../engines/qdrant/index.ts";
import { createRedisEngine } from "../engines/redis/index.ts";
import type { RedisHostAccess } from "../engines/redis/file-restore.ts";
import { localExecutor } from "../exec/local.ts";
import { configuredServices } from "./services.ts";
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

// --- internal ---

/**
 * The file restore mode in direct mode: this machine holds Redis's data directory (local executor), and the
 * configured services controller (compose or systemd) stops and starts the Redis service (`--redis-service`).
 */
function redisHost(config: Config): RedisHostAccess {
  const executor = localExecutor();
  const services = configuredServices(config, executor, "restore");
  if (services === undefined) {
    throw new ConfigError("The Redis file restore mode stops and starts Redis through a services controller, and none is configured.", {
      hint: "Use --services-controller compose or systemd (with --redis-service), or --redis-restore-mode live.",
    });
  }
  return {
    executor,
    stopRedis: (signal) => services.controller.stop([config.services.redis], { signal, timeoutMs: services.stopTimeoutMs }),
    ...(config.redis.dataDir === undefined ? {} : { dataDir: config.redis.dataDir }),
  };
}

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
    case "redis": {
      const file = config.redis.restoreMode === "file" && command === "restore";
      return createRedisEngine({
        url: config.redis.url,
        ...(config.secrets.redisPassword ? { password: config.secrets.redisPassword } : {}),
        ...(config.redis.dbs.length > 0 ? { dbs: config.redis.dbs } : {}),
        ...(config.redis.tlsCaFile === undefined ? {} : { tlsCaFile: config.redis.tlsCaFile }),
        ...(file ? { restoreMode: "file" as const, host: redisHost(config) } : {}),
      });
    }
    case "qdrant":
      return createQdrantEngine({
        url: config.qdrant.url,
        collections: config.qdrant.collections,
        ...(config.secrets.qdrantApiKey ? { apiKey: config.secrets.qdrantApiKey } : {}),
        ...(choices.qdrantRename ? { rename: choices.qdrantRename } : {}),
      });
  }
}
