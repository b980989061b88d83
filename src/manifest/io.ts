/** Reading and writing `metadata.json` through a target. */
import { IntegrityError, NotFoundError } from "../core/errors.ts";
import { redact } from "../core/redact.ts";
import { getBytes, type Target } from "../targets/target.ts";
import { parseManifest } from "./parse.ts";
import { checkSeal, sealedManifestText } from "./seal.ts";
import type { Manifest, ManifestInput } from "./schema.ts";

/** Largest manifest read: far above any real one (a few KiB), small enough to never strain memory. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

export interface WriteManifestOptions {
  signal?: AbortSignal;
  /**
   * Write only if no manifest exists at `key` yet, so an existing backup is never overwritten.
   * @default true
   */
  ifAbsent?: boolean;
}

/**
 * Validates `manifest` and writes it as indented JSON at `key` (from `layout.metadataKey`), with its own
 * checksum (`manifest_sha256`, see seal.ts). Write it last: a backup without a manifest is not a backup.
 * @returns the validated manifest as written (defaults filled in).
 * @throws IntegrityError when the manifest is invalid or would contain a registered secret (nothing is
 * written); PreconditionFailedError when `ifAbsent` and a manifest exists; TargetError when the write fails.
 */
export async function writeManifest(
  target: Target,
  key: string,
  manifest: ManifestInput,
  options: WriteManifestOptions = {},
): Promise<Manifest> {
  const valid = parseManifest(manifest, "The manifest to write");
  const text = sealedManifestText(valid);
  if (redact(text) !== text) {
    throw new IntegrityError("The manifest to write contains a secret (a password or key); it was not written.", {
      hint: "An engine put a secret into its details: remove it there; manifests never hold secrets.",
    });
  }
  await target.put(key, text, {
    contentType: "application/json",
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.ifAbsent === false ? {} : { ifAbsent: true }),
  });
  return parseManifest(JSON.parse(text), "The manifest written");
}

/**
 * Reads, parses and validates the manifest at `key`.
 * @throws NotFoundError when there is no manifest at `key` (an unfinished or missing backup).
 * @throws IntegrityError when it is not JSON, is larger than {@link MAX_MANIFEST_BYTES}, has another major
 * format version, misses or mistypes a field, names an artifact path that leaves the backup folder, or was
 * changed after it was written (its `manifest_sha256`) — the message names the key and the field.
 */
export async function readManifest(target: Target, key: string, options: { signal?: AbortSignal } = {}): Promise<Manifest> {
  const where = `The manifest ${target.location.replace(/\/$/, "")}/${key}`;
  let text: string;
  try {
    text = await readCapped(target, key, options.signal, where);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new NotFoundError(`No manifest at ${key} in ${target.location}: the backup does not exist or did not finish.`, {
        cause: err,
        hint: "List the backups with `stackvault list`; a backup without metadata.json is incomplete.",
      });
    }
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IntegrityError(`${where} is not valid JSON (${(err as Error).message}).`, { cause: err });
  }
  const manifest = parseManifest(value, where);
  checkSeal(value as Record<string, unknown>, where);
  return manifest;
}

// --- internal ---

/** The manifest's text, read whole (a body cut off part-way is read again: see `getBytes`). */
async function readCapped(target: Target, key: string, signal: AbortSignal | undefined, where: string): Promise<string> {
  const tooLarge = (): Error => new IntegrityError(`${where} is larger than ${MAX_MANIFEST_BYTES} bytes: it is not a stackvault manifest.`);
  return (await getBytes(target, key, { ...(signal === undefined ? {} : { signal }), maxBytes: MAX_MANIFEST_BYTES, tooLarge })).toString("utf8");
}
