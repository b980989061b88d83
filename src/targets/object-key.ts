/**
 * Rules every target applies to the keys and prefixes it is given, so that a key can never leave the target's
 * root (a folder or an S3 prefix) whatever the implementation. `layout.ts` builds keys that pass them.
 */
import { TargetError } from "../core/errors.ts";

/** Segment prefix reserved for a target's own bookkeeping files (temporary files, per-key locks). */
export const RESERVED_SEGMENT_PREFIX = ".stackvault-";

/**
 * Checks an object key: 1–1024 UTF-8 bytes of `/`-separated segments, none empty, `.`, `..` or reserved, no
 * leading or trailing `/`, no backslash or control character.
 * @returns `key` unchanged.
 * @throws TargetError naming the key and the rule it breaks.
 */
export function assertObjectKey(key: string, location: string): string {
  const problem = keyProblem(key, false);
  if (problem !== undefined) {
    throw new TargetError(`Refusing object key ${JSON.stringify(key)} on ${location}: ${problem}.`);
  }
  return key;
}

/**
 * Checks a list prefix: empty, or a key whose last segment may be partial or empty (`stacks/`).
 * @returns `prefix` unchanged.
 * @throws TargetError naming the prefix and the rule it breaks.
 */
export function assertListPrefix(prefix: string, location: string): string {
  if (prefix === "") return prefix;
  const problem = keyProblem(prefix, true);
  if (problem !== undefined) {
    throw new TargetError(`Refusing list prefix ${JSON.stringify(prefix)} on ${location}: ${problem}.`);
  }
  return prefix;
}

// --- internal ---

function keyProblem(key: string, isPrefix: boolean): string | undefined {
  if (key.length === 0) return "it is empty";
  if (Buffer.byteLength(key) > 1024) return "it is longer than 1024 bytes";
  if (key.startsWith("/")) return "it starts with '/'";
  if (key.includes("\\")) return "it contains a backslash";
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(key)) return "it contains a control character";
  const segments = key.split("/");
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === "" && !(isPrefix && i === last)) return "it has an empty segment";
    if (segment === "." || segment === "..") return `it has a '${segment}' segment`;
    if (segment.startsWith(RESERVED_SEGMENT_PREFIX)) return `segments starting with '${RESERVED_SEGMENT_PREFIX}' are reserved`;
  }
  return undefined;
}
