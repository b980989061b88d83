/**
 * OpenSSH `known_hosts` handling for the SSH executor: find the recorded keys of a host (plain or hashed
 * entries, `[host]:port` for non-default ports) and append a new one. Host keys are compared as the raw key
 * blobs, as OpenSSH does.
 */
import { createHmac } from "node:crypto";
import { appendFile, readFile } from "node:fs/promises";

export interface KnownKey {
  /** Key type, e.g. `ssh-ed25519`. */
  type: string;
  /** Key blob. */
  key: Buffer;
}

/** The name OpenSSH records for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Keys recorded for `host:port` in the file's text (revoked and `@cert-authority` lines are skipped). */
export function findKnownKeys(text: string, host: string, port: number): KnownKey[] {
  const name = knownHostName(host, port);
  const keys: KnownKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("@")) continue;
    const [hosts, type, blob] = line.split(/\s+/);
    if (!hosts || !type || !blob) continue;
    if (hosts.split(",").some((pattern) => matches(pattern, name))) keys.push({ type, key: Buffer.from(blob, "base64") });
  }
  return keys;
}

/** Reads a known_hosts file; a missing file has no keys. */
export async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}

/** Appends a host key line to a known_hosts file. */
export async function appendKnownHost(file: string, host: string, port: number, key: KnownKey): Promise<void> {
  await appendFile(file, `${knownHostName(host, port)} ${key.type} ${key.key.toString("base64")}\n`, { mode: 0o600 });
}

/** Reads the type name at the start of an SSH public key blob. */
export function keyTypeOf(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString("ascii");
}

// --- internal ---

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
  }
  return pattern === name;
}
