/**
 * Opens a target from a URL or from explicit options. Implementations register under a URL scheme; the
 * built-ins are `s3://bucket[/prefix]`, `file:///dir` and `memory://[name]`. Registering a scheme twice throws.
 * The S3 implementation loads the AWS SDK only when an `s3://` target is opened.
 */
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.ts";
import type { Target } from "./target.ts";
import { createLocalTarget, type LocalTargetOptions } from "./local.ts";
import { createMemoryTarget, type MemoryStore } from "./memory.ts";
import { assertBucketName, createS3Target, type S3TargetOptions } from "./s3.ts";

/** Settings that a URL cannot carry; each implementation takes the part it understands. */
export interface TargetSettings {
  /** S3 settings other than bucket and prefix (those come from the URL). */
  s3?: Omit<S3TargetOptions, "bucket" | "prefix">;
  /** Local-folder settings other than the folder. */
  local?: Omit<LocalTargetOptions, "dir">;
}

/** Explicit target options, as an alternative to a URL. */
export type TargetSpec =
  | ({ kind: "s3" } & S3TargetOptions)
  | ({ kind: "local" } & LocalTargetOptions)
  | { kind: "memory"; name?: string };

/** Builds a target from its URL and the settings. */
export type TargetFactory = (url: URL, settings: TargetSettings) => Promise<Target>;

/**
 * Registers an implementation for a URL scheme (without `:`), e.g. `"sftp"`.
 * @throws Error when the scheme is already registered (a programming error).
 */
export function registerTarget(scheme: string, factory: TargetFactory): void {
  const key = scheme.toLowerCase().replace(/:$/, "");
  if (factories.has(key)) throw new Error(`A target is already registered for the scheme "${key}:".`);
  factories.set(key, factory);
}

/** The registered URL schemes, sorted. */
export function targetSchemes(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Opens the target a URL (`s3://bucket/prefix`, `file:///srv/backups`, `memory://`) or explicit options name.
 * @throws ConfigError for an unparsable URL, an unknown scheme, an invalid bucket name or prefix.
 */
export async function openTarget(target: string | URL | TargetSpec, settings: TargetSettings = {}): Promise<Target> {
  if (typeof target === "object" && !(target instanceof URL)) {
    if (target.kind === "s3") return createS3Target(target);
    if (target.kind === "local") return createLocalTarget(target);
    return memoryTarget(target.name ?? "");
  }
  const text = String(target);
  // URL parsing resolves `a/../b` silently; in a bucket prefix that is a mistake to report, not to fix.
  if (/^s3:\/\/[^/]*\/(.*\/)?\.\.?(\/|$)/i.test(text)) {
    throw new ConfigError(`Invalid prefix in ${text}: '.' and '..' segments are not allowed.`);
  }
  const url = parseUrl(text);
  const factory = factories.get(url.protocol.slice(0, -1));
  if (factory === undefined) {
    throw new ConfigError(`Unknown target ${JSON.stringify(String(target))}.`, {
      hint: `Use one of: ${targetSchemes().map((s) => (s === "file" ? "file:///dir" : s === "s3" ? "s3://bucket[/prefix]" : `${s}://`)).join(", ")}.`,
    });
  }
  return factory(url, settings);
}

/** Forgets the objects of the named `memory://` targets (tests). */
export function clearMemoryTargets(): void {
  memoryStores.clear();
}

// --- internal ---

const factories = new Map<string, TargetFactory>();
const memoryStores = new Map<string, MemoryStore>();

function memoryTarget(name: string): Target {
  if (name === "") return createMemoryTarget();
  const store = memoryStores.get(name) ?? new Map();
  memoryStores.set(name, store);
  return createMemoryTarget({ name, store });
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch (err) {
    throw new ConfigError(`Target ${JSON.stringify(text)} is not a URL.`, {
      cause: err,
      hint: "Write it as s3://bucket[/prefix] or file:///absolute/folder.",
    });
  }
}

registerTarget("s3", async (url, settings) => {
  if (url.username || url.password) {
    throw new ConfigError("Credentials do not belong in the target URL.", { hint: "Use the AWS credential chain or the S3 key settings." });
  }
  const bucket = assertBucketName(decodeURIComponent(url.hostname));
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  if (url.search || url.hash) throw new ConfigError(`Invalid target ${url.href}: no query or fragment allowed.`);
  return createS3Target({ ...settings.s3, bucket, prefix });
});

registerTarget("file", async (url, settings) => {
  if (url.hostname !== "" && url.hostname !== "localhost") {
    throw new ConfigError(`${url.href} names a host; a file target is a local folder.`, {
      hint: "Write it with three slashes: file:///absolute/folder.",
    });
  }
  return createLocalTarget({ ...settings.local, dir: fileURLToPath(url) });
});

registerTarget("memory", async (url) => memoryTarget(url.hostname));
