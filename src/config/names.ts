/**
 * Validation of names that end up in object keys or AWS calls: stack names, bucket names and target URLs.
 * Checked at the edge (config) so that nothing below ever sees `..`, `/` or an invalid bucket.
 */
import { fileURLToPath } from "node:url";
import path from "node:path";

/** A parsed `--target`. */
export type TargetLocation =
  | { kind: "s3"; bucket: string; prefix: string }
  | { kind: "file"; path: string };

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit; no `..`; at most 128 characters. */
export function isValidStackName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes("..");
}

/** Qdrant collection names stackvault accepts: letters, digits, `-`, `_`, `.`; not starting with `.`; no `..`. */
export const COLLECTION_NAME = /^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

/** The S3 bucket naming rules for general-purpose buckets. */
export function isValidBucketName(name: string): boolean {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) return false;
  if (name.includes("..") || name.includes(".-") || name.includes("-.")) return false;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return false;
  const reservedPrefixes = ["xn--", "sthree-", "amzn-s3-demo-"];
  const reservedSuffixes = ["-s3alias", "--ol-s3", "--x-s3", "--table-s3", ".mrap"];
  return !reservedPrefixes.some((p) => name.startsWith(p)) && !reservedSuffixes.some((s) => name.endsWith(s));
}

/** True for `s3://BUCKET[/prefix]` with a valid bucket and a safe prefix, or `file:///absolute/dir`. */
export function isValidTarget(value: string): boolean {
  try {
    parseTarget(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses a target URL. `s3://B/a/b/` → `{ kind: "s3", bucket: "B", prefix: "a/b" }`;
 * `file:///srv/backups` → `{ kind: "file", path: "/srv/backups" }` (native path on Windows).
 * @throws Error with a short reason when the value is not a valid target (callers wrap it).
 */
export function parseTarget(value: string): TargetLocation {
  if (value.startsWith("s3://")) {
    const rest = value.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/\/+$/, "");
    if (!isValidBucketName(bucket)) throw new Error(`invalid bucket name "${bucket}"`);
    const parts = prefix === "" ? [] : prefix.split("/");
    if (parts.some((p) => p === "" || p === "." || p === "..")) throw new Error(`unsafe prefix "${prefix}"`);
    return { kind: "s3", bucket, prefix };
  }
  if (value.startsWith("file://")) {
    const dir = fileURLToPath(value);
    if (!path.isAbsolute(dir)) throw new Error("file:// targets need an absolute path");
    return { kind: "file", path: dir };
  }
  throw new Error("unknown scheme");
}
