/**
 * The manifest's own checksum (`manifest_sha256`, format 1.1): the sha256 of the manifest's JSON text as written
 * without that field. Artifacts are protected by their recorded hashes; this protects the record itself, so a
 * manifest damaged or edited after it was written (counts, paths, hashes) is refused before anything is restored.
 * It detects accidents and hand edits, not a forger who recomputes it: that is the bucket policy's job.
 */
import { createHash } from "node:crypto";
import { IntegrityError } from "../core/errors.ts";

/** The field holding the checksum. */
export const SEAL_FIELD = "manifest_sha256";

/** The first format minor whose manifests must carry {@link SEAL_FIELD}. */
const SEALED_FROM_MINOR = 1;

/** The JSON text to store for `manifest`: indented, with `manifest_sha256` computed over the rest, last. */
export function sealedManifestText(manifest: object): string {
  const rest = withoutSeal(manifest);
  return `${JSON.stringify({ ...rest, [SEAL_FIELD]: digest(rest) }, null, 2)}\n`;
}

/**
 * Checks the checksum of a parsed manifest (`raw`, as read, key order kept). Required from format 1.1 on;
 * checked whenever present.
 * @throws IntegrityError naming the manifest when the checksum is missing where required or does not match.
 */
export function checkSeal(raw: Record<string, unknown>, where: string): void {
  const seal = raw[SEAL_FIELD];
  const minor = Number(String(raw.format_version ?? "").split(".")[1] ?? 0);
  if (seal === undefined) {
    if (minor < SEALED_FROM_MINOR) return;
    throw new IntegrityError(`${where} has no ${SEAL_FIELD}, which every manifest of format ${String(raw.format_version)} carries: it was edited or damaged.`, {
      hint: "Do not restore from this backup; choose another one with --backup-id.",
    });
  }
  if (seal !== digest(withoutSeal(raw))) {
    throw new IntegrityError(`${where} was changed after it was written: its ${SEAL_FIELD} does not match its content.`, {
      hint: "Do not restore from this backup; choose another one with --backup-id.",
    });
  }
}

// --- internal ---

function withoutSeal(value: object): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  delete rest[SEAL_FIELD];
  return rest;
}

function digest(rest: Record<string, unknown>): string {
  return createHash("sha256").update(JSON.stringify(rest, null, 2)).digest("hex");
}
