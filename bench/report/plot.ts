/**
 * The plot of time per step: an SVG (no library: plain elements) with one group of bars per `[n/N]` step of the
 * backup and of the restore, one bar per scale, seconds on a shared linear axis, each bar labelled with its
 * value. Reading it: the longest bars are where the time goes; a step whose bar grows 10× from 1× to 10× scales
 * with the data, one that stays the same is fixed cost.
 */
import type { StepTime } from "../common/result.ts";

/** Steps measured at one scale. */
export interface ScaleSteps {
  scale: number;
  steps: StepTime[];
}

const COLORS = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2"];
const BAR = 14;
const GAP = 8;
const LABEL_WIDTH = 300;
const PLOT_WIDTH = 520;

/** The SVG document for `series` (one entry per scale), titled `title`. */
export function stepPlot(series: ScaleSteps[], title: string): string {
  const operations = ["backup", "restore"] as const;
  const max = Math.max(0.001, ...series.flatMap((s) => s.steps.map((t) => t.seconds)));
  const axisMax = niceCeiling(max);
  const x = (seconds: number): number => LABEL_WIDTH + (seconds / axisMax) * PLOT_WIDTH;
  const parts: string[] = [];
  let y = 56;
  for (const operation of operations) {
    const titles = stepTitles(series, operation);
    if (titles.length === 0) continue;
    const total = titles.filter(([index]) => index > 0).length;
    parts.push(`<text x="10" y="${y}" font-weight="bold">${operation} (${total} steps)</text>`);
    y += 10;
    for (const [index, stepTitle] of titles) {
      const groupHeight = series.length * BAR;
      parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end">${index === 0 ? "" : `[${index}/${total}] `}${escape(shorten(stepTitle, 42))}<title>${escape(stepTitle)}</title></text>`);
      series.forEach((s, i) => {
        const step = s.steps.find((t) => t.operation === operation && t.index === index);
        const seconds = step?.seconds ?? 0;
        const top = y + i * BAR;
        parts.push(`<rect x="${LABEL_WIDTH}" y="${top + 1}" width="${Math.max(0.5, x(seconds) - LABEL_WIDTH).toFixed(1)}" height="${BAR - 2}" fill="${COLORS[i % COLORS.length]}"><title>${s.scale}×: ${seconds.toFixed(2)} s</title></rect>`);
        parts.push(`<text x="${(x(seconds) + 4).toFixed(1)}" y="${top + BAR - 3}" font-size="10">${step ? `${seconds.toFixed(seconds < 10 ? 2 : 1)} s` : "–"}</text>`);
      });
      y += groupHeight + GAP;
    }
    y += 14;
  }
  const height = y + 30;
  const axis: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const value = (axisMax * i) / 5;
    axis.push(`<line x1="${x(value)}" y1="40" x2="${x(value)}" y2="${y}" stroke="#ddd"/>`);
    axis.push(`<text x="${x(value)}" y="${y + 14}" text-anchor="middle" font-size="10">${trimNumber(value)} s</text>`);
  }
  const legend = series.map((s, i) => `<rect x="${LABEL_WIDTH + i * 90}" y="24" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/><text x="${LABEL_WIDTH + 16 + i * 90}" y="34">${s.scale}×</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${LABEL_WIDTH + PLOT_WIDTH + 70}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
    ...legend,
    ...axis,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

// --- internal ---

/** The steps of `operation` by index, titled as the first scale that ran them names them. */
function stepTitles(series: ScaleSteps[], operation: "backup" | "restore"): [number, string][] {
  const titles = new Map<number, string>();
  for (const s of series) for (const t of s.steps) if (t.operation === operation && !titles.has(t.index)) titles.set(t.index, t.title);
  return [...titles.entries()].sort((a, b) => a[0] - b[0]);
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

function trimNumber(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function escape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
