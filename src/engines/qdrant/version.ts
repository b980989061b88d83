/** Qdrant's snapshot compatibility rule: a snapshot restores on the same or the next minor version. */
import { EngineError } from "../../core/errors.ts";

/**
 * @throws EngineError saying so when a snapshot taken on `backupVersion` must not be restored on
 * `serverVersion` (another major, an older minor, or more than one minor newer).
 */
export function assertSnapshotCompatible(backupVersion: string, serverVersion: string): void {
  const from = parse(backupVersion);
  const to = parse(serverVersion);
  if (from && to && from.major === to.major && (to.minor === from.minor || to.minor === from.minor + 1)) return;
  throw new EngineError(
    `The Qdrant snapshots were taken on Qdrant ${backupVersion}; this server runs ${serverVersion}. Qdrant restores a snapshot only on the same or the next minor version.`,
    { hint: `Restore into Qdrant ${from ? `${from.major}.${from.minor}.x or ${from.major}.${from.minor + 1}.x` : backupVersion}, then upgrade Qdrant one minor version at a time.` },
  );
}

function parse(version: string): { major: number; minor: number } | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}
