/**
 * Small checks of the Neo4j engine: version comparison, and reading an artifact to its end before anything
 * is purged.
 */
import type { Readable } from "node:stream";
import { IntegrityError } from "../../core/errors.ts";
import { TRAILER_PREFIX } from "./script-format.ts";

/** `5` for `5.26.3`, `2025` for `2025.01.0`; NaN when unreadable. */
export function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

/** Compares dotted versions numerically part by part (`5.26.10` > `5.26.9`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * Reads `source` to its end (the restore context's stream fails with IntegrityError on a checksum mismatch)
 * and, for scripts, checks that the last line is the `stackvault:end` marker. Memory: one chunk plus the tail.
 */
export async function drainAndCheck(source: Readable, script: boolean): Promise<void> {
  let tail = "";
  for await (const chunk of source) {
    if (script) tail = (tail + Buffer.from(chunk as Uint8Array).toString("latin1")).slice(-512);
  }
  if (!script) return;
  const lastLine = tail.trimEnd().split("\n").at(-1) ?? "";
  if (!lastLine.startsWith(TRAILER_PREFIX)) {
    throw new IntegrityError("The Neo4j script does not end with its end marker: the artifact is truncated or corrupted. Nothing was changed.", {
      hint: "Restore another backup.",
    });
  }
}
