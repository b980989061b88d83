/**
 * Log and progress events. Library code never prints: it emits events to an {@link EventSink}. The CLI
 * renders them (the seed's timestamped `[n/N]` log on a terminal, JSON lines with `--json`), and a remote
 * host-side run forwards them as JSON lines to the operator's CLI.
 */
import { redact } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export type StackvaultEvent =
  /** A plan step starts: renders as `[index/total] title`. */
  | { type: "step"; index: number; total: number; title: string; time: string }
  /** A step (or part of one) finished: renders as a `✓ message` line. */
  | { type: "ok"; message: string; time: string }
  /** A free-form log line. */
  | { type: "log"; level: LogLevel; message: string; time: string }
  /** Bytes moved for one transfer; `total` is absent when the size is not known in advance. */
  | { type: "progress"; id: string; label: string; bytes: number; total?: number; time: string }
  /** The end of a transfer started by `progress` events. */
  | { type: "progress-end"; id: string; time: string };

/** Receives events. Must not throw and must return quickly (it runs on the data path). */
export type EventSink = (event: StackvaultEvent) => void;

/** A sink that drops everything. */
export const silentSink: EventSink = () => {};

type WithoutTime<E> = E extends StackvaultEvent ? Omit<E, "time"> : never;

/** Small helper that timestamps and redacts events before handing them to a sink. */
export class Emitter {
  private readonly sink: EventSink;

  constructor(sink: EventSink = silentSink) {
    this.sink = sink;
  }

  emit(event: WithoutTime<StackvaultEvent>): void {
    const stamped = { ...event, time: new Date().toISOString() } as StackvaultEvent;
    if ("message" in stamped) stamped.message = redact(stamped.message);
    if (stamped.type === "step") stamped.title = redact(stamped.title);
    this.sink(stamped);
  }

  step(index: number, total: number, title: string): void {
    this.emit({ type: "step", index, total, title });
  }

  ok(message: string): void {
    this.emit({ type: "ok", message });
  }

  log(level: LogLevel, message: string): void {
    this.emit({ type: "log", level, message });
  }

  info(message: string): void {
    this.log("info", message);
  }

  warn(message: string): void {
    this.log("warn", message);
  }
}
