/** Human-readable formatting shared by logs and tables. */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `1536` → `1.5 KiB`; exact bytes below 1 KiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

/** `83.4` → `1m 23s`; sub-minute durations keep one decimal. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m}m ${s}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/** `12450` → `12,450`. */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}
