/**
 * The wire between the operator's stackvault and the host-side `agent run`, both ways JSON lines:
 *
 * - host → operator (standard output): the run's events exactly as `--json` prints them (`step`, `ok`,
 *   `log`, `progress`, `progress-end`), `confirm` requests, and one final `result` or `error` document
 *   (the `--json` error document: code, exit code, message, hint);
 * - operator → host (standard input): the job ({@link AgentJob}) first, then `confirm-reply` and `cancel`.
 */
import {
  CancelledError,
  CloudError,
  ConfigError,
  EngineError,
  ExecError,
  IntegrityError,
  LockError,
  NotAvailableError,
  NotFoundError,
  PreconditionFailedError,
  StackvaultError,
  TargetError,
  UsageError,
  ValidationError,
} from "../core/errors.ts";
import type { StackvaultErrorOptions } from "../core/errors.ts";
import type { StackvaultEvent } from "../core/events.ts";

/** The host asks the operator to confirm (restore without `--yes`). */
export interface ConfirmRequest {
  type: "confirm";
  question: string;
}

/** The command's result: the `--json` document and the text a terminal shows. */
export interface ResultLine {
  type: "result";
  doc: unknown;
  text?: string;
}

/** The `--json` error document. */
export interface ErrorLine {
  type: "error";
  code: string;
  exitCode: number;
  message: string;
  hint?: string;
}

/** One line from the host, parsed. `other` is anything else it printed (kept for messages). */
export type HostLine = { type: "event"; event: StackvaultEvent } | ConfirmRequest | ResultLine | ErrorLine | { type: "other"; text: string };

/** Operator → host after the job. `error` explains a refusal (no terminal to ask on, declined). */
export type ControlMessage = { type: "confirm-reply"; ok: true } | { type: "confirm-reply"; ok: false; error: ErrorLine } | { type: "cancel" };

const EVENT_TYPES = new Set(["step", "ok", "log", "progress", "progress-end"]);

/** Classifies one line of the host's standard output. */
export function parseHostLine(line: string): HostLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { type: "other", text: line };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { type: "other", text: line };
  const doc = value as Record<string, unknown>;
  if (typeof doc.type === "string" && EVENT_TYPES.has(doc.type) && typeof doc.time === "string") return { type: "event", event: doc as unknown as StackvaultEvent };
  if (doc.type === "confirm" && typeof doc.question === "string") return { type: "confirm", question: doc.question };
  if (doc.type === "result" && "doc" in doc) return { type: "result", doc: doc.doc, ...(typeof doc.text === "string" ? { text: doc.text } : {}) };
  if (doc.type === "error" && typeof doc.code === "string" && typeof doc.message === "string") {
    return { type: "error", code: doc.code, exitCode: typeof doc.exitCode === "number" ? doc.exitCode : 1, message: doc.message, ...(typeof doc.hint === "string" ? { hint: doc.hint } : {}) };
  }
  return { type: "other", text: line };
}

/** The error document of `err` (ours keep code, exit code and hint; others are internal errors). */
export function errorLine(err: unknown): ErrorLine {
  if (err instanceof StackvaultError) return { type: "error", code: err.code, exitCode: err.exitCode, message: err.message, ...(err.hint === undefined ? {} : { hint: err.hint }) };
  return { type: "error", code: "INTERNAL", exitCode: 1, message: err instanceof Error ? err.message : String(err) };
}

/**
 * The typed error an error document stands for: the same class when the code is one of ours (so exit code,
 * `instanceof` and hint survive the trip), else an error carrying the document's code and exit code.
 */
export function errorFromLine(line: ErrorLine, prefix = ""): StackvaultError {
  const options: StackvaultErrorOptions = line.hint === undefined ? {} : { hint: line.hint };
  const message = `${prefix}${line.message}`;
  const Known = KNOWN[line.code];
  if (Known) return new Known(message, options);
  return new RemoteRunError(message, line.code, line.exitCode, options);
}

/** An error of the host-side run whose code is not one of this version's classes (or an internal error there). */
export class RemoteRunError extends StackvaultError {
  override readonly code: string;
  override readonly exitCode: number;

  constructor(message: string, code: string, exitCode: number, options: StackvaultErrorOptions = {}) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode;
  }
}

// --- internal ---

type ErrorClass = new (message: string, options?: StackvaultErrorOptions) => StackvaultError;

const KNOWN: Readonly<Record<string, ErrorClass>> = {
  USAGE: UsageError,
  CONFIG: ConfigError,
  TARGET: TargetError,
  NOT_FOUND: NotFoundError,
  PRECONDITION_FAILED: PreconditionFailedError,
  ENGINE: EngineError,
  INTEGRITY: IntegrityError,
  LOCKED: LockError,
  EXEC: ExecError,
  VALIDATION: ValidationError,
  CLOUD: CloudError,
  NOT_AVAILABLE: NotAvailableError,
  CANCELLED: CancelledError,
};
