/**
 * The operator's side of a remote run (DESIGN §2): connect to the host, ship the agent bundle if the host does
 * not have this exact one, run the command there next to the stores, and render its progress here.
 */
import { Emitter } from "../core/events.ts";
import type { EventSink } from "../core/events.ts";
import { formatBytes } from "../core/format.ts";
import { registerSecret } from "../core/redact.ts";
import type { Config } from "../config/schema.ts";
import type { Executor } from "../exec/executor.ts";
import { agentBundle } from "./bundle.ts";
import type { AgentBundle } from "./bundle.ts";
import { hostEnvironment, hostExecutor } from "./host.ts";
import { NODE_IMAGE, composeNetwork } from "./container.ts";
import { createJob } from "./job.ts";
import type { AwsCredentials, RemoteCommand } from "./job.ts";
import { runOnHost } from "./run.ts";
import type { RemoteResult } from "./run.ts";
import { shipBundle } from "./ship.ts";

export interface RemoteCommandOptions {
  command: RemoteCommand;
  /** The command's own flags, as the host-side command receives them. */
  options: Readonly<Record<string, unknown>>;
  config: Config;
  sink: EventSink;
  signal?: AbortSignal;
  /** The operator's environment: `SSH_AUTH_SOCK` and the `AWS_*` credentials to forward are read from it. */
  env: Readonly<Record<string, string | undefined>>;
  /** Asks the operator (see {@link RemoteRunOptions.confirm}). */
  confirm?: (question: string) => Promise<void>;
  /** The executor to use instead of the one `config.host` names (tests). */
  executor?: Executor;
  /** The bundle to ship instead of this package's (tests). */
  bundle?: AgentBundle;
  /** The Docker CLI on the host for the container fallback. @default "docker" */
  docker?: string;
}

/**
 * Runs `command` on `config.host` and resolves with its result.
 * @throws whatever the host-side run threw (same code, exit code, message, hint), ExecError when the host
 * cannot be reached or prepared.
 */
export async function runRemoteCommand(options: RemoteCommandOptions): Promise<RemoteResult> {
  const { config, signal } = options;
  const events = new Emitter(options.sink);
  const executor = options.executor ?? (await hostExecutor(config, hostEnvironment(options.env)));
  try {
    const bundle = options.bundle ?? (await agentBundle());
    if (bundle.built) events.log("debug", `Built the agent bundle (${formatBytes(bundle.bytes.length)}).`);
    const shipped = await shipBundle({ executor, bundle, cacheDir: config.remote.cacheDir, node: config.remote.node, containerFallback: config.remote.containerFallback, ...(options.docker ? { docker: options.docker } : {}), ...(signal ? { signal } : {}) });
    const network = shipped.runner === "container" ? composeNetwork(config.services.composeProject) : undefined;
    const runsWith = network === undefined ? `Node.js ${shipped.nodeVersion}` : `a ${NODE_IMAGE} container on network ${network} (no Node.js 22+ on the host)`;
    events.info(
      shipped.uploaded
        ? `Uploaded the stackvault agent (${formatBytes(bundle.bytes.length)}, sha256 ${bundle.sha256.slice(0, 12)}) to ${executor.location}; running there with ${runsWith}.`
        : `The stackvault agent (sha256 ${bundle.sha256.slice(0, 12)}) is already on ${executor.location}; running there with ${runsWith}.`,
    );
    const job = createJob(options.command, options.options, config, awsCredentials(options.env));
    return await runOnHost({
      executor,
      node: config.remote.node,
      bundlePath: shipped.path,
      ...(network === undefined ? {} : { containerNetwork: network, ...(options.docker ? { docker: options.docker } : {}) }),
      job,
      sink: options.sink,
      ...(signal ? { signal } : {}),
      ...(options.confirm ? { confirm: options.confirm } : {}),
    });
  } finally {
    if (!options.executor) await executor.close();
  }
}

/**
 * Static AWS credentials from the operator's environment, forwarded to the host through the job; absent when
 * not set (the host then uses its own, e.g. the instance role).
 */
export function awsCredentials(env: Readonly<Record<string, string | undefined>>): AwsCredentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  registerSecret(secretAccessKey);
  registerSecret(env.AWS_SESSION_TOKEN);
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}
