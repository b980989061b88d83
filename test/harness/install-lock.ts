/**
 * A lock between processes for installs into the shared cache: several checkouts (a CI clone beside a
 * working copy) may start their services at the same moment, and two builds of one binary into one folder
 * would overwrite each other's output. The lock is a directory (its creation is atomic) holding the owner's
 * pid and start time; a lock whose owner is gone is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { type ProcessRecord, isAlive, recordOf } from "./process.ts";

/**
 * Runs `work` while holding the lock `lockDir`, waiting (polling every `pollMs`) while another live process
 * holds it. `what` names the install in the one "waiting" line logged.
 */
export async function withInstallLock<T>(lockDir: string, what: string, log: (message: string) => void, work: () => Promise<T>, pollMs = 1000): Promise<T> {
  let waited = false;
  for (;;) {
    if (tryTake(lockDir)) break;
    if (!heldByLiveProcess(lockDir)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!waited) log(`services: waiting for another process's install of ${what}`);
    waited = true;
    await sleep(pollMs);
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

// --- internal ---

const OWNER = "owner.json";

function tryTake(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  writeFileSync(`${lockDir}/${OWNER}`, JSON.stringify(recordOf(process.pid)));
  return true;
}

/** True while the owner recorded in the lock runs; a lock without a readable owner yet counts as held briefly. */
function heldByLiveProcess(lockDir: string): boolean {
  let text: string;
  try {
    text = readFileSync(`${lockDir}/${OWNER}`, "utf8");
  } catch {
    return true; // just created, owner not written yet (or removed a moment ago): look again next poll
  }
  try {
    return isAlive(JSON.parse(text) as ProcessRecord);
  } catch {
    return false;
  }
}
