/**
 * Builds the single-file agent bundle: all of stackvault and its dependencies in one ES module for Node 22+
 * (`node stackvault-agent.mjs agent run`), the file a remote run ships to the host. esbuild is a development
 * dependency: only a checkout builds; an installed package ships the bundle already built.
 *
 * The first line of the bundle records the hash of the sources it was built from ({@link sourceHash}), so a
 * checkout can tell a stale bundle from a current one without building.
 */
import { createHash } from "node:crypto";
import { mkdir, open, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type * as Esbuild from "esbuild";
import { ConfigError } from "../core/errors.ts";

/** File name of the bundle, under the package's `dist/`. */
export const BUNDLE_FILE = "stackvault-agent.mjs";

/** Starts the bundle's first line; the source hash follows. */
export const SOURCE_MARKER = "// stackvault-agent sources:";

/**
 * Optional native parts of dependencies: ssh2's compiled crypto binding and its CPU probe. ssh2 falls back to
 * pure JavaScript without them, and the host side never opens SSH connections anyway.
 */
// The CloudFormation and EC2 clients serve only operator-side commands (stack deploy/destroy) and are loaded
// lazily there: left out, they keep the bundle shipped to every host small.
const EXTERNAL = ["cpu-features", "*.node", "esbuild", "@aws-sdk/client-cloudformation", "@aws-sdk/client-ec2"];

/**
 * Hash of everything the bundle is made of: every file under `src/`, the lock file (dependency versions)
 * and package.json (the version built in). Sorted, so the order of the file system does not matter.
 */
export async function sourceHash(root: string): Promise<string> {
  const hash = createHash("sha256");
  const files = (await listFiles(path.join(root, "src"))).sort();
  for (const file of [...files, path.join(root, "package-lock.json"), path.join(root, "package.json")]) {
    hash.update(path.relative(root, file).split(path.sep).join("/")).update("\0");
    hash.update(await readFile(file).catch(() => Buffer.alloc(0))).update("\0");
  }
  return hash.digest("hex");
}

/**
 * Builds `outFile` from the sources in `root` (written to a temporary name, then renamed, so a concurrent
 * reader never sees half a bundle).
 * @throws ConfigError when esbuild is not installed (an installed package should ship the bundle).
 */
export async function buildBundle(root: string, outFile: string = path.join(root, "dist", BUNDLE_FILE)): Promise<{ file: string; sourceHash: string }> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = await import("esbuild");
  } catch (cause) {
    throw new ConfigError("Cannot build the agent bundle: esbuild is not installed.", { cause, hint: "Run `npm install` in the checkout, or reinstall stackvault (the package ships the bundle)." });
  }
  const hash = await sourceHash(root);
  const version = (JSON.parse(await readFile(path.join(root, "package.json"), "utf8")) as { version?: string }).version ?? "0.0.0";
  await mkdir(path.dirname(outFile), { recursive: true });
  const temp = `${outFile}.${process.pid}.tmp`;
  try {
    await esbuild.build({
      entryPoints: [path.join(root, "src", "cli", "main.ts")],
      outfile: temp,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node22",
      external: EXTERNAL,
      define: { STACKVAULT_BUNDLE_VERSION: JSON.stringify(version) },
      // Dependencies written as CommonJS call require(): give the module one.
      banner: { js: `${SOURCE_MARKER}${hash}\nimport { createRequire as __stackvaultRequire } from "node:module";\nconst require = __stackvaultRequire(import.meta.url);` },
      legalComments: "none",
      // Whitespace and syntax only (names are kept, so stack traces still read): a third smaller, which V8
      // parses faster at every start (bench: --version 114 → 106 MiB peak RSS, about 0.1 s less).
      minifyWhitespace: true,
      minifySyntax: true,
      logLevel: "silent",
    });
    await rename(temp, outFile);
  } catch (err) {
    await rm(temp, { force: true });
    const detail = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0];
    const where = detail?.location ? ` (${detail.location.file}:${detail.location.line})` : "";
    throw new ConfigError(`Building the agent bundle failed: ${detail ? `${detail.text}${where}` : (err as Error).message}`, { cause: err, hint: "The checkout's sources must build; `npm run build:bundle` shows every error." });
  }
  return { file: outFile, sourceHash: hash };
}

/** The source hash recorded in a bundle's first line, or `undefined` when the file is missing or foreign. */
export async function recordedSourceHash(file: string): Promise<string | undefined> {
  let head: string;
  try {
    const handle = await open(file, "r");
    try {
      const buffer = Buffer.alloc(SOURCE_MARKER.length + 64);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  return head.startsWith(SOURCE_MARKER) ? head.slice(SOURCE_MARKER.length) : undefined;
}

// --- internal ---

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
