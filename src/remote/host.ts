/**
 * The executor for `--host`: `ssh://user@addr[:port]` gives the SSH executor with the `ssh` settings (key
 * file or agent, pinned host key); `ssm://i-…` gives the SSM executor, its input and output carried by the S3
 * target's bucket.
 */
import os from "node:os";
import path from "node:path";
import { ConfigError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Executor } from "../exec/executor.ts";
import { sshExecutor } from "../exec/ssh.ts";
import { ssmExecutor } from "../exec/ssm.ts";
import { SSM_EXCHANGE_FOLDER } from "../exec/ssm-exchange.ts";

/** Where `ssh://` hosts are reached from, besides the settings. */
export interface HostEnvironment {
  /** The SSH agent socket (`SSH_AUTH_SOCK`), used when no key file is configured. */
  sshAgent?: string;
}

/** The {@link HostEnvironment} read from the operator's environment variables (`SSH_AUTH_SOCK`). */
export function hostEnvironment(env: Readonly<Record<string, string | undefined>>): HostEnvironment {
  return env.SSH_AUTH_SOCK ? { sshAgent: env.SSH_AUTH_SOCK } : {};
}

/** The parts of an `ssh://user@addr[:port]` host. */
export interface SshAddress {
  username: string;
  host: string;
  port: number;
}

/**
 * Parses `ssh://user@addr[:port]` (IPv6 addresses in brackets).
 * @throws ConfigError when the user is missing or the address does not parse.
 */
export function parseSshHost(text: string): SshAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`Invalid host ${JSON.stringify(text)}: expected ssh://user@addr[:port].`);
  }
  if (url.protocol !== "ssh:" || url.hostname === "" || (url.pathname !== "" && url.pathname !== "/")) {
    throw new ConfigError(`Invalid host ${JSON.stringify(text)}: expected ssh://user@addr[:port].`);
  }
  if (url.username === "") throw new ConfigError(`The host ${text} names no user.`, { hint: "Write it as ssh://user@addr[:port], e.g. ssh://ec2-user@10.0.1.5." });
  if (url.password !== "") throw new ConfigError("A password in the --host URL is not accepted.", { hint: "Use a key file (--ssh-key) or an SSH agent." });
  return { username: decodeURIComponent(url.username), host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port: url.port === "" ? 22 : Number(url.port) };
}

/**
 * The executor for `config.host`.
 * @throws ConfigError for a malformed host, when neither a key file nor an agent is available (`ssh://`), or
 * when an `ssm://` run has no S3 target to carry its input and output.
 */
export async function hostExecutor(config: Config, environment: HostEnvironment): Promise<Executor> {
  const host = config.host ?? "";
  if (host.startsWith("ssm://")) return ssmHostExecutor(config, host.slice("ssm://".length));
  const address = parseSshHost(host);
  const keyFile = config.ssh.identityFile === undefined ? undefined : expandHome(config.ssh.identityFile);
  if (keyFile === undefined && !environment.sshAgent) {
    throw new ConfigError(`No SSH credential for ${host}: no key file is set and no SSH agent is running.`, { hint: "Give --ssh-key FILE, or start an SSH agent (SSH_AUTH_SOCK)." });
  }
  return sshExecutor({
    ...address,
    knownHostsFile: expandHome(config.ssh.knownHosts),
    acceptNewHostKey: config.ssh.acceptNewHostKey,
    ...(keyFile === undefined ? { agent: environment.sshAgent } : { privateKeyFile: keyFile }),
  });
}

/** `~/x` → the operator's home folder + `x` (portable: Windows too). */
export function expandHome(file: string): string {
  if (file === "~") return os.homedir();
  if (file.startsWith("~/") || file.startsWith("~\\")) return path.join(os.homedir(), file.slice(2));
  return file;
}

// --- internal ---

/**
 * The SSM executor for an instance; its input and output travel through the S3 target's bucket (the instance
 * role needs get/put/delete on `<prefix>/exec/*`). AWS credentials and endpoints come from the SDK's default
 * chain (`AWS_ENDPOINT_URL_SSM` included).
 */
async function ssmHostExecutor(config: Config, instanceId: string): Promise<Executor> {
  const target = config.target ?? (config.bucket === undefined ? undefined : `s3://${config.bucket}`);
  if (target === undefined || !target.startsWith("s3://")) {
    throw new ConfigError(`A run through SSM (--host ssm://${instanceId}) needs an S3 target: its bucket carries the run's input and output.`, { hint: "Give --bucket B or --target s3://B[/prefix]." });
  }
  const url = new URL(target);
  const prefix = url.pathname.replace(/^\/+|\/+$/g, "");
  const [{ SSMClient }, { S3Client }] = await Promise.all([import("@aws-sdk/client-ssm"), import("@aws-sdk/client-s3")]);
  const endpoint = config.s3.endpoint;
  const s3 = new S3Client({ region: config.region, ...(endpoint === undefined ? {} : { endpoint }), forcePathStyle: config.s3.forcePathStyle ?? endpoint !== undefined });
  return ssmExecutor({
    instanceId,
    ssm: new SSMClient({ region: config.region }),
    exchange: {
      s3,
      bucket: url.hostname,
      prefix: prefix === "" ? SSM_EXCHANGE_FOLDER : `${prefix}/${SSM_EXCHANGE_FOLDER}`,
      sse: config.s3.sse,
      ...(config.s3.kmsKeyId === undefined ? {} : { kmsKeyId: config.s3.kmsKeyId }),
    },
  });
}
