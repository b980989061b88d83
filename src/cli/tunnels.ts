/**
 * Direct mode against a remote host (`--direct --host ssh://…`, DESIGN §2): the run stays in this process and
 * reaches each store through an SSH tunnel to the address its URL names as seen from the host (typically the
 * host's loopback, where the compose stack publishes its ports). The service controller runs its commands on
 * the host over the same connection. For small stacks: the data crosses the SSH connection and this machine.
 */
import { UsageError } from "../core/errors.ts";
import { Emitter } from "../core/events.ts";
import type { Config } from "../config/schema.ts";
import { deepFreeze } from "../config/index.ts";
import type { Executor } from "../exec/executor.ts";
import { localExecutor } from "../exec/local.ts";
import type { SshExecutor } from "../exec/ssh.ts";
import { hostEnvironment, hostExecutor } from "../remote/host.ts";
import type { CommandContext } from "./context.ts";

/** Default port of each URL scheme the stores use. */
const DEFAULT_PORTS: Readonly<Record<string, number>> = { "bolt:": 7687, "neo4j:": 7687, "bolt+s:": 7687, "neo4j+s:": 7687, "bolt+ssc:": 7687, "neo4j+ssc:": 7687, "http:": 80, "https:": 443, "redis:": 6379, "rediss:": 6379 };

/**
 * The configuration a direct run uses and the executor for the host's services: unchanged with the local
 * executor without `--host`; with `--direct --host ssh://…`, store URLs rewritten to tunnels opened here
 * (closed when the command ends) and the SSH executor.
 * @throws UsageError for `--direct --host ssm://…` (SSM carries no tunnels).
 */
export async function directRun(ctx: CommandContext): Promise<{ config: Config; executor: Executor }> {
  const { config } = ctx;
  if (config.host === undefined || !config.direct) return { config, executor: localExecutor() };
  if (!config.host.startsWith("ssh://")) {
    throw new UsageError(`--direct with --host ${config.host}: tunnels to the stores go over SSH only.`, { hint: "Drop --direct to run on the instance through SSM, or give --host ssh://user@addr." });
  }
  const executor = (await hostExecutor(config, hostEnvironment(ctx.io.env))) as SshExecutor;
  ctx.defer(() => executor.close());
  const events = new Emitter(ctx.render.sink);
  const through = async (text: string): Promise<string> => {
    const url = new URL(text);
    const port = url.port === "" ? (DEFAULT_PORTS[url.protocol] ?? 0) : Number(url.port);
    const tunnel = await executor.tunnel(url.hostname.replace(/^\[(.*)\]$/, "$1"), port);
    ctx.defer(() => tunnel.close());
    events.info(`Tunnel: 127.0.0.1:${tunnel.localPort} → ${tunnel.remote} on ${executor.location}.`);
    url.hostname = "127.0.0.1";
    url.port = String(tunnel.localPort);
    // URL keeps a lone trailing slash on some schemes; the stores' URLs are compared without it.
    return text.endsWith("/") ? url.toString() : url.toString().replace(/\/$/, "");
  };
  const { secrets, sources, ...values } = config;
  const rewritten = {
    ...structuredClone(values),
    neo4j: { ...values.neo4j, ...(config.skip.neo4j ? {} : { uri: await through(config.neo4j.uri) }) },
    qdrant: { ...values.qdrant, ...(config.skip.qdrant ? {} : { url: await through(config.qdrant.url) }) },
    redis: { ...values.redis, ...(config.skip.redis ? {} : { url: await through(config.redis.url) }) },
    secrets: { ...secrets },
    sources: { ...sources },
  };
  return { config: deepFreeze(rewritten) as Config, executor };
}
