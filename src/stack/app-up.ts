/**
 * Bringing the application up on a freshly deployed host (the seed's "[4/6] Transfert fichiers" and "[5/6]
 * Déploiement Docker Compose"): upload a local compose project to a folder on the host and `docker compose up
 * -d` it, or run the operator's own deploy command there; then wait until every compose service of the project
 * runs and reports healthy (services without a health check count once running).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { ExecError, UsageError } from "../core/errors.ts";
import type { Emitter } from "../core/events.ts";
import type { Executor } from "../exec/executor.ts";
import { composeController } from "../services/compose.ts";
import { pollUntil } from "../services/wait.ts";

export interface AppUpOptions {
  executor: Executor;
  events: Emitter;
  /** Local folder holding the compose project (compose file, `.env`, config files), uploaded as it is. */
  composeDir?: string;
  /** Command run on the host with `sh -c` in `remoteDir` instead of `docker compose up -d` (a hook). */
  deployCommand?: string;
  /** Folder on the host for the project; a leading `~/` is the remote user's home. @default "~/stackvault-app" */
  remoteDir?: string;
  /** Compose project name (`-p`). */
  project: string;
  /** The docker CLI on the host. @default "docker" */
  docker?: string;
  /** How long the services may take to become healthy. @default 600000 */
  healthTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface AppUpResult {
  /** Absolute folder on the host. */
  remoteDir: string;
  /** Files uploaded (relative paths). */
  uploaded: string[];
  /** Compose services found running and healthy. */
  services: string[];
}

/**
 * Uploads, starts and waits (see the file comment).
 * @throws UsageError when neither `composeDir` nor `deployCommand` is given; ExecError when an upload, `up` or
 * the hook fails (message names the command and its exit code), or the services are not healthy in time.
 */
export async function bringAppUp(options: AppUpOptions): Promise<AppUpResult> {
  const { executor, events, signal } = options;
  if (options.composeDir === undefined && options.deployCommand === undefined) {
    throw new UsageError("Nothing to bring the application up with.", { hint: "Give --compose-dir DIR (a compose project) or --deploy-command CMD." });
  }
  const sig = signal ? { signal } : {};
  const remoteDir = (await executor.run("sh", ["-c", MAKE_DIR, "sh", options.remoteDir ?? DEFAULT_REMOTE_DIR], sig)).stdout.trim();
  const uploaded: string[] = [];
  if (options.composeDir !== undefined) {
    for (const file of await listFiles(options.composeDir)) {
      const bytes = await readFile(path.join(options.composeDir, file));
      await executor.run("sh", ["-c", WRITE_FILE, "sh", remoteDir, file], { ...sig, stdin: bytes });
      uploaded.push(file);
    }
    events.ok(`Uploaded ${uploaded.length} file(s) of ${options.composeDir} to ${executor.location}:${remoteDir}`);
  }
  const docker = options.docker ?? "docker";
  if (options.deployCommand !== undefined) {
    events.info(`Running the deploy command on ${executor.location}`);
    const hook = await executor.run("sh", ["-c", options.deployCommand], { ...sig, cwd: remoteDir, check: false });
    if (hook.exitCode !== 0) throw new ExecError(`The deploy command failed on ${executor.location} (exit code ${hook.exitCode}): ${hook.stderr.trim().split("\n").slice(-3).join(" ") || "no output"}`, { hint: "Run it by hand on the host to see why." });
    events.ok("Deploy command done");
  } else {
    await executor.run(docker, ["compose", "-p", options.project, "up", "-d"], { ...sig, cwd: remoteDir });
    events.ok(`docker compose up -d (project ${options.project})`);
  }
  const services = await waitHealthy({ ...options, docker, remoteDir });
  events.ok(`Services healthy: ${services.join(", ")}`);
  return { remoteDir, uploaded, services };
}

// --- internal ---

const DEFAULT_REMOTE_DIR = "~/stackvault-app";

/** `$1` folder (`~/` expanded): created, printed absolute. */
const MAKE_DIR = 'd="$1"; case "$d" in "~/"*) d="$HOME/${d#"~/"}";; "~") d="$HOME";; esac; mkdir -p -- "$d" && cd -- "$d" && pwd -P';

/** `$1` folder, `$2` relative file; content on standard input, written to a temporary name then renamed. */
const WRITE_FILE = 'set -e; f="$1/$2"; mkdir -p -- "$(dirname -- "$f")"; cat > "$f.tmp.$$"; mv -f -- "$f.tmp.$$" "$f"';

/** Every regular file under `dir`, relative, `/`-separated, sorted. */
async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

/** Waits until the project has containers, then until each of its services runs and is healthy. */
async function waitHealthy(options: AppUpOptions & { docker: string; remoteDir: string }): Promise<string[]> {
  const timeoutMs = options.healthTimeoutMs ?? 600_000;
  const sig = options.signal ? { signal: options.signal } : {};
  let services: string[] = [];
  const listed = await pollUntil(
    async () => {
      const ps = await options.executor.run(options.docker, ["compose", "-p", options.project, "ps", "--all", "--format", "json"], { ...sig, cwd: options.remoteDir });
      services = [...new Set(parsePs(ps.stdout).map((c) => c.Service ?? "").filter((s) => s !== ""))].sort();
      return services.length > 0;
    },
    { timeoutMs, intervalMs: 2000, ...sig },
  );
  if (!listed) throw new ExecError(`Compose project ${options.project} has no container on ${options.executor.location}.`, { hint: "Check the compose file and `docker compose ps` on the host." });
  const controller = composeController({ executor: options.executor, project: options.project, projectDir: options.remoteDir, docker: options.docker });
  await controller.waitHealthy(services, { timeoutMs, ...sig });
  return services;
}

function parsePs(text: string): { Service?: string }[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as { Service?: string }[];
  return trimmed.split("\n").filter(Boolean).map((line) => JSON.parse(line) as { Service?: string });
}
