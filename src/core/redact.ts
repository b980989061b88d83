/**
 * Secret redaction. Every message that leaves the process (logs, errors, progress events, manifests) passes
 * through {@link redact}: known secret values are replaced, and so are credentials embedded in URLs and
 * `key=value` pairs whose key names a secret.
 */

const MASK = "***";
const registered = new Set<string>();

/**
 * Registers a secret value so that {@link redact} masks it wherever it appears. Values shorter than 4
 * characters are ignored (masking them would mangle ordinary text).
 */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.add(value);
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  registered.clear();
}

/** Returns `text` with registered secrets, URL passwords and `secret=value` pairs masked. */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...registered].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(MASK);
  }
  // scheme://user:password@host → scheme://user:***@host
  out = out.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)([^\s@/]+)@/gi, `$1${MASK}@`);
  // password=…, secret: …, token=…, api-key … (quoted or bare)
  out = out.replace(
    /\b((?:[a-z0-9_-]*)(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|credential)s?)(["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi,
    (_m, key: string, sep: string) => `${key}${sep}${MASK}`,
  );
  return out;
}

/** Redacts every string inside a JSON-like value (for events and manifests). */
export function redactDeep<T>(value: T): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v);
    return out as T;
  }
  return value;
}
