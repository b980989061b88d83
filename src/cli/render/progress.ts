/**
 * Transfer progress on stderr. On a terminal: one redrawn line per active transfer (bytes, rate, and with a
 * known total a bar, percentage and ETA), at most 10 redraws a second. Elsewhere (CI logs, pipes): a plain
 * line per transfer every `plainIntervalMs` and one when it ends, so logs stay readable.
 */
import { formatBytes, formatDuration } from "../../core/format.ts";
import type { OutStream } from "../io.ts";

export interface ProgressOptions {
  stream: OutStream;
  /** Redraw in place (a terminal) or print periodic plain lines. */
  tty: boolean;
  /** Interval between plain lines for one transfer. @default 5000 */
  plainIntervalMs?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Renders `progress` / `progress-end` events. */
export class ProgressView {
  private readonly stream: OutStream;
  private readonly tty: boolean;
  private readonly plainIntervalMs: number;
  private readonly now: () => number;
  private readonly active = new Map<string, Transfer>();
  private drawnLines = 0;
  private lastDraw = 0;

  constructor(options: ProgressOptions) {
    this.stream = options.stream;
    this.tty = options.tty;
    this.plainIntervalMs = options.plainIntervalMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  /** Records bytes moved for transfer `id`; redraws when due. */
  update(id: string, label: string, bytes: number, total: number | undefined): void {
    const t = this.now();
    let tr = this.active.get(id);
    if (tr === undefined) {
      tr = { label, bytes: 0, total, started: t, samples: [], lastPlain: t };
      this.active.set(id, tr);
    }
    tr.bytes = bytes;
    tr.total = total;
    tr.samples.push([t, bytes]);
    while (tr.samples.length > 2 && (tr.samples[0]?.[0] ?? t) < t - 3000) tr.samples.shift();
    if (this.tty) {
      if (t - this.lastDraw >= 100) this.draw();
    } else if (t - tr.lastPlain >= this.plainIntervalMs) {
      tr.lastPlain = t;
      this.stream.write(`${line(tr, t, undefined)}\n`);
    }
  }

  /** Ends transfer `id`: prints its final line (plain mode) and removes it from the bars. */
  end(id: string): void {
    const tr = this.active.get(id);
    if (tr === undefined) return;
    const t = this.now();
    this.clear();
    this.active.delete(id);
    const secs = Math.max((t - tr.started) / 1000, 0.001);
    if (!this.tty) this.stream.write(`${tr.label}: ${formatBytes(tr.bytes)} in ${formatDuration(secs)} (${formatBytes(tr.bytes / secs)}/s)\n`);
    this.draw();
  }

  /** Erases the bars (call before writing other lines to the terminal). */
  clear(): void {
    if (!this.tty || this.drawnLines === 0) return;
    this.stream.write("\r\x1b[2K" + "\x1b[1A\x1b[2K".repeat(this.drawnLines - 1));
    this.drawnLines = 0;
  }

  /** Redraws the bars of active transfers (terminal only). */
  draw(): void {
    if (!this.tty) return;
    this.clear();
    const t = this.now();
    this.lastDraw = t;
    const lines = [...this.active.values()].map((tr) => line(tr, t, (this.stream.columns ?? 80) - 1));
    if (lines.length === 0) return;
    this.stream.write(lines.join("\n"));
    this.drawnLines = lines.length;
  }

  /** Clears the bars for good. */
  close(): void {
    this.clear();
    this.active.clear();
  }
}

// --- internal ---

interface Transfer {
  label: string;
  bytes: number;
  total: number | undefined;
  started: number;
  /** Recent (time, bytes) samples for the rate. */
  samples: [number, number][];
  lastPlain: number;
}

/** `knowbase  [#####·····]  45% 68.2 MiB / 152 MiB  12.3 MiB/s  ETA 7s` */
function line(tr: Transfer, t: number, width: number | undefined): string {
  const first = tr.samples[0] ?? [tr.started, 0];
  const dt = (t - first[0]) / 1000;
  const rate = dt > 0 ? (tr.bytes - first[1]) / dt : 0;
  const rateText = rate > 0 ? `${formatBytes(rate)}/s` : "--/s";
  if (tr.total === undefined || tr.total <= 0) return clip(`${tr.label}  ${formatBytes(tr.bytes)}  ${rateText}`, width);
  const frac = Math.min(tr.bytes / tr.total, 1);
  const eta = rate > 0 ? ` ETA ${formatDuration(Math.max(tr.total - tr.bytes, 0) / rate)}` : "";
  const stats = `${String(Math.floor(frac * 100)).padStart(3)}% ${formatBytes(tr.bytes)} / ${formatBytes(tr.total)}  ${rateText}${eta}`;
  const barWidth = width === undefined ? 20 : Math.max(Math.min(30, width - tr.label.length - stats.length - 6), 0);
  const filled = Math.round(frac * barWidth);
  const bar = barWidth > 0 ? `[${"#".repeat(filled)}${"·".repeat(barWidth - filled)}] ` : "";
  return clip(`${tr.label}  ${bar}${stats}`, width);
}

function clip(s: string, width: number | undefined): string {
  return width === undefined || s.length <= width ? s : `${s.slice(0, Math.max(width - 1, 0))}…`;
}
