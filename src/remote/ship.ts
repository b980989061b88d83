/**
 * Puts the agent bundle on the host, once per version: the host keeps `<cacheDir>/agent-<sha256>.mjs`; a file
 * of that name whose content has that sha256 is used as it is, otherwise the bundle is streamed through the
 * executor's standard input to a temporary name, its hash checked there, and renamed into place (atomic: a
 * concurrent run never starts half a file). The same round trip checks that the host's Node starts. Bundles
 * of other versions are removed after a week unused.
 */
import { ExecError } from "../core/errors.ts";
import type { Executor } from "../exec/executor.ts";
import type { AgentBundle } from "./bundle.ts";

/** Default folder for bundles on the host (`~` is the remote user's home). */
export const DEFAULT_CACHE_DIR = "~/.cache/stackvault";

export interface ShipOptions {
  executor: Executor;
  bundle: AgentBundle;
  /** Folder on the host; a leading `~/` is the remote user's home. */
  cacheDir: string;
  /** Node.js binary on the host. */
  node: string;
  /** Docker CLI on the host, for the container fallback. @default "docker" */
  docker?: string;
  /** Whether a host without Node.js 22+ may run the bundle in a `node:22` container (container.ts). @default true */
  containerFallback?: boolean;
  signal?: AbortSignal;
}

export interface Shipped {
  /** Absolute path of the bundle on the host. */
  path: string;
  /** True when it was uploaded by this call; false when an identical bundle was already there. */
  uploaded: boolean;
  /** `node --version` on the host (empty when it does not start). */
  nodeVersion: string;
  /** `host`: the host's Node runs the bundle; `container`: it is missing or too old, Docker runs it (container.ts). */
  runner: "host" | "container";
}

/**
 * Makes sure the host has `bundle` and a Node.js that can run it.
 * @throws ExecError when the host has no Node.js 22+ and no Docker (or the container fallback is off), or the
 * upload fails its hash check.
 */
export async function shipBundle(options: ShipOptions): Promise<Shipped> {
  const { executor, bundle, signal } = options;
  const probe = await executor.run("sh", ["-c", PROBE, "sh", options.cacheDir, bundle.sha256, options.node, options.docker ?? "docker"], { check: false, ...(signal ? { signal } : {}) });
  const fields = Object.fromEntries(probe.stdout.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const nodeVersion = fields.node ?? "";
  if (probe.exitCode !== 0 || fields.path === undefined) {
    throw new ExecError(`Cannot prepare ${executor.location} for the run (exit code ${probe.exitCode}): ${probe.stderr.trim() || "no output"}`, { hint: "The host needs a POSIX shell and sha256sum (coreutils)." });
  }
  const runner = chooseRunner(nodeVersion, options.node, executor.location, options.containerFallback === false ? undefined : (fields.docker ?? ""));
  if (fields.present === "yes") return { path: fields.path, uploaded: false, nodeVersion, runner };
  const upload = await executor.run("sh", ["-c", UPLOAD, "sh", options.cacheDir, bundle.sha256], { check: false, stdin: bundle.bytes, ...(signal ? { signal } : {}) });
  if (upload.exitCode !== 0) {
    throw new ExecError(`Uploading the agent bundle to ${executor.location} failed (exit code ${upload.exitCode})${upload.exitCode === 3 ? ": its sha256 on the host differs from the one sent" : ""}. ${upload.stderr.trim()}`.trim(), { hint: `Check that the remote user may write ${options.cacheDir} and that the disk is not full.` });
  }
  return { path: fields.path, uploaded: true, nodeVersion, runner };
}

/** Node major version the bundle is built for (esbuild target node22). */
export const MIN_NODE_MAJOR = 22;

// --- internal ---

/** `$1` folder, `$2` sha256, `$3` node, `$4` docker. Prints `path=`, `present=yes|no`, `node=vX.Y.Z` (empty when it does not start), `docker=` (its path, empty when absent). */
const PROBE = [
  'd="$1"; case "$d" in "~/"*) d="$HOME/${d#"~/"}";; "~") d="$HOME";; esac',
  'f="$d/agent-$2.mjs"',
  'printf "path=%s\\n" "$f"',
  'if [ -f "$f" ] && [ "$(sha256sum < "$f" | cut -d" " -f1)" = "$2" ]; then touch "$f" 2>/dev/null; echo present=yes; else echo present=no; fi',
  'printf "node=%s\\n" "$("$3" --version 2>/dev/null)"',
  'printf "docker=%s\\n" "$(command -v "$4" 2>/dev/null)"',
].join("\n");

/** `$1` folder, `$2` sha256; the bundle on standard input. Exit 3 when the received bytes do not hash to `$2`. */
const UPLOAD = [
  "set -e",
  'd="$1"; case "$d" in "~/"*) d="$HOME/${d#"~/"}";; "~") d="$HOME";; esac',
  'mkdir -p "$d"',
  'tmp="$d/.agent-$2.$$.tmp"',
  'trap \'rm -f "$tmp"\' EXIT',
  'cat > "$tmp"',
  'if [ "$(sha256sum < "$tmp" | cut -d" " -f1)" != "$2" ]; then exit 3; fi',
  'chmod 600 "$tmp"',
  'mv -f "$tmp" "$d/agent-$2.mjs"',
  // Bundles of other versions not used for a week go (a running one has its file loaded already).
  'find "$d" -maxdepth 1 -name "agent-*.mjs" ! -name "agent-$2.mjs" -mtime +7 -exec rm -f {} + 2>/dev/null || true',
].join("\n");

/** `docker`: its path on the host, empty when absent, `undefined` when the container fallback is off. */
function chooseRunner(version: string, node: string, location: string, docker: string | undefined): "host" | "container" {
  const major = /^v(\d+)\./.exec(version)?.[1];
  if (major !== undefined && Number(major) >= MIN_NODE_MAJOR) return "host";
  if (docker !== undefined && docker !== "") return "container";
  const why = docker === undefined ? "and the node:22 container fallback is off (--no-container-fallback)" : "and Docker is not there to run it in a container";
  if (major === undefined) {
    throw new ExecError(`Node.js ('${node}') does not start on ${location}, ${why}.`, { hint: "Install Node.js 22 or newer on the host, or point --host-node at it." });
  }
  throw new ExecError(`Node.js on ${location} is ${version}; the agent needs ${MIN_NODE_MAJOR} or newer, ${why}.`, { hint: "Install a newer Node.js on the host, or point --host-node at one." });
}
