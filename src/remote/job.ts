/**
 * The job document of a remote run: the one JSON line the operator's stackvault writes on the host-side
 * `agent run`'s standard input. It carries the command, its options, the effective configuration and the
 * secrets — secrets travel only here (standard input of the SSH channel), never in argv or the environment
 * of a command line.
 */
import * as z from "zod";
import { IntegrityError } from "../core/errors.ts";
import { configSchema } from "../config/schema.ts";
import type { Config, ConfigValues, Secrets } from "../config/schema.ts";

/** Version of the job document; the agent refuses any other. */
export const JOB_VERSION = 1;

/** Commands that can run on the host. */
export type RemoteCommand = "backup" | "restore";

/** AWS credentials forwarded from the operator's environment (absent: the host's own, e.g. its instance role). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AgentJob {
  version: typeof JOB_VERSION;
  command: RemoteCommand;
  /** The command's own flags (commander's camelCase values: `dryRun`, `latest`, `backupId`, `fromStack`, `rename`, `yes`). */
  options: Record<string, unknown>;
  /** The effective settings (file → env → flags on the operator's side); the host does not load its own. */
  config: ConfigValues;
  /** Where each setting came from, for messages. */
  sources: Record<string, string>;
  secrets: Secrets;
  aws?: AwsCredentials;
  /**
   * The operator keeps standard input open for control messages (confirmation replies, cancel); its end
   * means the operator is gone and the run is cancelled.
   */
  control: boolean;
}

/** The job for running `command` with `options` under `config` on the host. */
export function createJob(command: RemoteCommand, options: Readonly<Record<string, unknown>>, config: Config, aws?: AwsCredentials): AgentJob {
  const { secrets, sources, host: _host, ...values } = structuredClone(config) as Config & ConfigValues;
  return {
    version: JOB_VERSION,
    command,
    options: { ...options },
    // The host runs in direct mode: it is where the stores are.
    config: { ...values, direct: true },
    sources: { ...sources },
    secrets: { ...secrets },
    ...(aws ? { aws } : {}),
    control: true,
  };
}

/**
 * Parses and validates a job line.
 * @throws IntegrityError when the line is not a job of this version (message names what is wrong, never a value).
 */
export function parseJob(line: string): AgentJob {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new IntegrityError("The job on standard input is not JSON.", { hint: "`agent run` is started by stackvault itself (backup/restore --host)." });
  }
  const result = jobSchema.safeParse(raw);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join(".") || "(document)").slice(0, 5).join(", ");
    throw new IntegrityError(`The job on standard input is not valid (${where}).`, { hint: "The operator's stackvault and this bundle must be the same version; rerun the command so it ships its own." });
  }
  return result.data as AgentJob;
}

// --- internal ---

const jobSchema = z.object({
  version: z.literal(JOB_VERSION),
  command: z.enum(["backup", "restore"]),
  options: z.record(z.string(), z.unknown()),
  config: configSchema,
  sources: z.record(z.string(), z.string()),
  secrets: z.object({ neo4jPassword: z.string().optional(), qdrantApiKey: z.string().optional(), redisPassword: z.string().optional() }),
  aws: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() }).optional(),
  control: z.boolean(),
});
