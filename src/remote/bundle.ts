/**
 * Finds the agent bundle a remote run ships: in a checkout (the sources are there) it is built on demand when
 * missing or stale, keyed by the hash of the sources; an installed package ships it in `dist/`.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.ts";
import { BUNDLE_FILE, buildBundle, recordedSourceHash, sourceHash } from "./build.ts";

/** The bundle's bytes and their sha256 (which names it on the host). */
export interface AgentBundle {
  file: string;
  bytes: Buffer;
  sha256: string;
  /** True when this call (re)built it. */
  built: boolean;
}

/** The package root: two levels above this file in both `src/remote/` and `dist/remote/`. */
export function packageRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
}

/**
 * The current agent bundle of the package at `root`.
 * @throws ConfigError when an installed package lacks its bundle, or a checkout cannot build it.
 */
export async function agentBundle(root: string = packageRoot()): Promise<AgentBundle> {
  const file = path.join(root, "dist", BUNDLE_FILE);
  let built = false;
  if (existsSync(path.join(root, "src", "cli", "main.ts"))) {
    const [wanted, recorded] = await Promise.all([sourceHash(root), recordedSourceHash(file)]);
    if (wanted !== recorded) {
      await buildBundle(root, file);
      built = true;
    }
  } else if (!existsSync(file)) {
    throw new ConfigError(`The agent bundle ${file} is missing, so stackvault cannot run on a remote host.`, { hint: "Reinstall stackvault; the package ships dist/stackvault-agent.mjs." });
  }
  const bytes = await readFile(file);
  return { file, bytes, sha256: createHash("sha256").update(bytes).digest("hex"), built };
}
