/**
 * Validation of a manifest value: format version first (so a manifest of a future major gets a clear
 * "upgrade" message rather than a list of schema issues), then the schema, with zod's issues turned into one
 * readable sentence.
 */
import type { z } from "zod";
import { IntegrityError } from "../core/errors.ts";
import { FORMAT_VERSION, manifestSchema, type Manifest } from "./schema.ts";

/** The major of {@link FORMAT_VERSION}: the only one this version reads. */
export const FORMAT_MAJOR = Number(FORMAT_VERSION.split(".")[0]);

/**
 * Validates `value` as a manifest.
 * @param where names the manifest in messages (its key, or "the manifest to write").
 * @throws IntegrityError when the format version is missing, malformed or of another major, or when a field
 * is missing or wrong (the message names the field), or when an artifact path leaves the backup folder.
 */
export function parseManifest(value: unknown, where: string): Manifest {
  checkFormatVersion(value, where);
  const result = manifestSchema.safeParse(value, { reportInput: true });
  if (!result.success) {
    throw new IntegrityError(`${where} is not a valid stackvault manifest: ${describeIssues(result.error.issues)}.`, {
      hint: "The backup's metadata.json is damaged or was edited by hand; it cannot be trusted for a restore.",
    });
  }
  return result.data;
}

/**
 * Checks `format_version` alone. A newer minor (`1.7`) is accepted: minors only add fields. Another major is
 * refused: its meaning may have changed.
 * @throws IntegrityError saying which version was found and what to do.
 */
export function checkFormatVersion(value: unknown, where: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new IntegrityError(`${where} is not a stackvault manifest: it is not a JSON object.`);
  }
  const version = (value as Record<string, unknown>)["format_version"];
  if (version === undefined) {
    throw new IntegrityError(`${where} is not a stackvault manifest: it has no format_version.`, {
      hint: `Manifests written by stackvault carry "format_version": "${FORMAT_VERSION}".`,
    });
  }
  const match = typeof version === "string" ? /^(\d+)\.(\d+)$/.exec(version) : null;
  if (match === null) {
    throw new IntegrityError(`${where} has format_version ${JSON.stringify(version)}; expected "MAJOR.MINOR" like "${FORMAT_VERSION}".`);
  }
  const major = Number(match[1]);
  if (major !== FORMAT_MAJOR) {
    throw new IntegrityError(
      `${where} has format_version ${version}, which this stackvault cannot read (it reads ${FORMAT_MAJOR}.x).`,
      {
        hint: major > FORMAT_MAJOR
          ? `The backup was written by a newer stackvault: upgrade stackvault to read it.`
          : `The backup was written by an older stackvault: read it with that version.`,
      },
    );
  }
}

/**
 * Turns zod issues into one sentence naming each field: `databases.redis.keys_count is missing;
 * databases.neo4j.file: Unsafe object path "../x" …`. At most three issues are spelled out.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 3).map(describeIssue);
  const more = issues.length - shown.length;
  return shown.join("; ") + (more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : "");
}

// --- internal ---

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = fieldPath(issue.path);
  if (issue.code === "invalid_type") {
    if ((issue as { input?: unknown }).input === undefined) return `${field} is missing`;
    const received = /received (\w+)/.exec(issue.message)?.[1];
    return `${field} must be ${withArticle(issue.expected)}${received === undefined ? "" : ` (got ${withArticle(received)})`}`;
  }
  if (issue.code === "invalid_value") return `${field} ${issue.message.replace(/^Invalid input: expected /, "must be ")}`;
  if (issue.code === "invalid_key") return `${field} is not a valid key: ${issue.issues.map((i) => i.message).join(", ")}`;
  return /^[a-z]/.test(issue.message) ? `${field} ${issue.message}` : `${field}: ${issue.message}`;
}

function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "the manifest";
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function withArticle(type: string): string {
  if (type === "null" || type === "undefined") return type;
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
