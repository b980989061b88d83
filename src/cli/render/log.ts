/**
 * The human log, in the seed's style:
 *
 *   [14:30:01] [1/7] Prepare…
 *   [14:30:02]   ✓ Bucket: s3://knowwhere-backups
 *
 * Steps, ✓ lines and info go to stdout; warnings and errors to stderr. `--quiet` keeps only warnings and
 * errors; `--verbose` adds debug lines. Progress events go to the {@link ProgressView} on stderr.
 */
import type { StackvaultEvent } from "../../core/events.ts";
import { redact } from "../../core/redact.ts";
import type { OutStream } from "../io.ts";
import type { Palette } from "./color.ts";
import type { ProgressView } from "./progress.ts";

export interface LogViewOptions {
  stdout: OutStream;
  stderr: OutStream;
  colors: Palette;
  quiet: boolean;
  verbose: boolean;
  progress: ProgressView | undefined;
}

/** Renders one event as the seed's log. */
export function logEvent(event: StackvaultEvent, o: LogViewOptions): void {
  const stamp = o.colors.dim(`[${clock(event.time)}]`);
  switch (event.type) {
    case "progress":
      o.progress?.update(event.id, event.label, event.bytes, event.total);
      return;
    case "progress-end":
      o.progress?.end(event.id);
      return;
    case "step":
      if (!o.quiet) write(o, o.stdout, `${stamp} ${o.colors.bold(`[${event.index}/${event.total}]`)} ${event.title}`);
      return;
    case "ok":
      if (!o.quiet) write(o, o.stdout, `${stamp}   ${o.colors.green("✓")} ${event.message}`);
      return;
    case "log":
      if (event.level === "debug" && !o.verbose) return;
      if (event.level === "info" && o.quiet) return;
      if (event.level === "warn") write(o, o.stderr, `${stamp} ${o.colors.yellow("⚠")} ${event.message}`);
      else if (event.level === "error") write(o, o.stderr, `${stamp} ${o.colors.red("✗")} ${event.message}`);
      else write(o, o.stdout, `${stamp} ${event.level === "debug" ? o.colors.dim(event.message) : event.message}`);
      return;
  }
}

/** `2025-10-25T14:30:01.123Z` → `14:30:01` in local time (as the seed's scripts print). */
export function clock(iso: string): string {
  const d = new Date(iso);
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

// --- internal ---

function write(o: LogViewOptions, stream: OutStream, text: string): void {
  o.progress?.clear();
  stream.write(`${redact(text)}\n`);
  o.progress?.draw();
}
