/** Plain-text tables for terminal output (column widths from the content, right-aligned numbers). */

export interface Column<T> {
  title: string;
  value: (row: T) => string;
  /** Right-align (numbers, sizes). @default false */
  right?: boolean;
}

/** Renders `rows` under a header line; an empty list renders as `empty`. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty = "(none)"): string {
  if (rows.length === 0) return empty;
  const cells = rows.map((row) => columns.map((c) => c.value(row)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => (r[i] ?? "").length)));
  const line = (values: readonly string[]) =>
    values.map((v, i) => (columns[i]?.right ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0))).join("  ").trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join("\n");
}

/** `3h`, `2d`, `5m` from a number of seconds. */
export function age(seconds: number): string {
  if (seconds < 3600) return `${Math.max(0, Math.floor(seconds / 60))}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}
