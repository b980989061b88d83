/**
 * The executor for `--host`: `ssh://user@addr[:port]` gives the SSH executor with the `ssh` settings (key
 * file or agent, pinned host key); `ssm://i-…` is not available in this version.
 */
import os from "node:os";
import path from "node:path";
import { ConfigError, NotAvailableError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import type { Executor } from "../exec/executor.ts";
import { sshExecutor } from "../exec/ssh.ts";

/** Where `ssh://` hosts are reached from, besides the settings. */
export interface HostEnvironment {
  /** The SSH agent socket (`SSH_AUTH_SOCK`), used when no key file is configured. */
  sshAgent?: string;
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
 * @throws NotAvailableError for `ssm://`; ConfigError for a malformed host or when neither a key file nor an
 * agent is available.
 */
export function hostExecutor(config: Config, environment: HostEnvironment): Executor {
  const host = config.host ?? "";
  if (host.startsWith("ssm://")) {
    throw new NotAvailableError(`Runs through SSM (--host ${host}) are not available yet in this version.`, { hint: "Use --host ssh://user@addr, or run stackvault on the host itself." });
  }
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
