/**
 * The renderer a command writes through: events (from plans, engines, targets) and the command's result.
 * With `--json`, stdout carries only JSON: one line per event (progress throttled) and the result document.
 * Otherwise the seed-style log on stdout, progress on stderr.
 */
import type { EventSink, StackvaultEvent } from "../../core/events.ts";
import { redact, redactDeep } from "../../core/redact.ts";
import type { Io } from "../io.ts";
import { useColor } from "../io.ts";
import { palette } from "./color.ts";
import type { Palette } from "./color.ts";
import { logEvent } from "./log.ts";
import { ProgressView } from "./progress.ts";

export interface RenderOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** False with `--no-color`. */
  color: boolean;
}

export interface Renderer {
  /** Receives events; never throws. */
  readonly sink: EventSink;
  /** Colours for stdout text (identity when off). */
  readonly colors: Palette;
  /**
   * Prints the command's result: `doc` as one JSON document with `--json`, else `text` (if any) on stdout.
   * Both are redacted.
   */
  result(doc: unknown, text?: string): void;
  /** Removes progress bars; call once at the end. */
  close(): void;
}

/** Builds the renderer for these options and streams. */
export function createRenderer(options: RenderOptions, io: Io): Renderer {
  const colors = palette(useColor(io.stdout, io.env, options.color));
  if (options.json) return jsonRenderer(io, colors);
  const progress = options.quiet ? undefined : new ProgressView({ stream: io.stderr, tty: io.stderr.isTTY === true });
  const errColors = palette(useColor(io.stderr, io.env, options.color));
  const logOptions = { stdout: io.stdout, stderr: io.stderr, colors, quiet: options.quiet, verbose: options.verbose, progress };
  const warnOptions = { ...logOptions, colors: errColors };
  return {
    colors,
    sink: (event) => {
      try {
        logEvent(event, event.type === "log" && (event.level === "warn" || event.level === "error") ? warnOptions : logOptions);
      } catch {
        // a broken terminal must not break the data path
      }
    },
    result: (_doc, text) => {
      progress?.clear();
      if (text !== undefined && text !== "") io.stdout.write(`${redact(text)}${text.endsWith("\n") ? "" : "\n"}`);
    },
    close: () => progress?.close(),
  };
}

// --- internal ---

function jsonRenderer(io: Io, colors: Palette): Renderer {
  const lastProgress = new Map<string, number>();
  const emit = (value: unknown) => io.stdout.write(`${JSON.stringify(redactDeep(value))}\n`);
  return {
    colors: { ...colors, green: id, red: id, yellow: id, dim: id, bold: id },
    sink: (event: StackvaultEvent) => {
      if (event.type === "progress") {
        const now = Date.now();
        if (now - (lastProgress.get(event.id) ?? 0) < 1000 && event.bytes !== event.total) return;
        lastProgress.set(event.id, now);
      } else if (event.type === "progress-end") {
        lastProgress.delete(event.id);
      }
      emit(event);
    },
    result: (doc) => emit(doc),
    close: () => {},
  };
}

function id(s: string): string {
  return s;
}
