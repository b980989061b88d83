/**
 * The typed error tree. Every error stackvault raises on purpose is a {@link StackvaultError} subclass with a
 * stable `code` and an `exitCode`; the CLI prints the message (never a stack) for these and maps the exit
 * code. Anything else is a bug: the CLI prints its stack and exits with {@link EXIT_CODES.internal}.
 *
 * Messages say what went wrong and what to do; they never contain secrets (see `redact.ts`).
 */

/** Documented exit codes (README "Exit codes"). Scripts rely on these numbers. */
export const EXIT_CODES = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  target: 4,
  notFound: 5,
  engine: 6,
  integrity: 7,
  lock: 8,
  exec: 9,
  validation: 10,
  cloud: 11,
  notAvailable: 12,
  cancelled: 130,
} as const;

export type ExitCodeName = keyof typeof EXIT_CODES;

export interface StackvaultErrorOptions {
  cause?: unknown;
  /** What the operator should do or which setting to fix; printed on its own line. */
  hint?: string;
}

/** Base of every deliberate error. `code` is a stable machine-readable name. */
export class StackvaultError extends Error {
  readonly code: string = "STACKVAULT_ERROR";
  readonly exitCode: number = EXIT_CODES.internal;
  readonly hint: string | undefined;

  constructor(message: string, options: StackvaultErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** Bad command line: unknown flag, missing argument, conflicting flags. */
export class UsageError extends StackvaultError {
  override readonly code: string = "USAGE";
  override readonly exitCode = EXIT_CODES.usage;
}

/** Bad configuration: invalid value, missing credential, unreadable config file. */
export class ConfigError extends StackvaultError {
  override readonly code: string = "CONFIG";
  override readonly exitCode = EXIT_CODES.config;
}

/** The storage target failed: unreachable endpoint, access denied, interrupted transfer. */
export class TargetError extends StackvaultError {
  override readonly code: string = "TARGET";
  override readonly exitCode = EXIT_CODES.target;
}

/** A backup, object, stack or collection that was asked for does not exist. */
export class NotFoundError extends StackvaultError {
  override readonly code: string = "NOT_FOUND";
  override readonly exitCode = EXIT_CODES.notFound;
}

/** A conditional write lost: the object existed ("only if absent") or changed ("only if unchanged"). */
export class PreconditionFailedError extends TargetError {
  override readonly code: string = "PRECONDITION_FAILED";
}

/** A data store (Neo4j, Qdrant, Redis) failed or refused. */
export class EngineError extends StackvaultError {
  override readonly code: string = "ENGINE";
  override readonly exitCode = EXIT_CODES.engine;
}

/** Data does not match what was recorded: checksum, size, manifest schema, unsafe key, unknown version. */
export class IntegrityError extends StackvaultError {
  override readonly code: string = "INTEGRITY";
  override readonly exitCode = EXIT_CODES.integrity;
}

/** Another run holds the stack's lock. */
export class LockError extends StackvaultError {
  override readonly code: string = "LOCKED";
  override readonly exitCode = EXIT_CODES.lock;
}

/** A command on the host (local, SSH, SSM) failed or the host is unreachable. */
export class ExecError extends StackvaultError {
  override readonly code: string = "EXEC";
  override readonly exitCode = EXIT_CODES.exec;
}

/** A restore or backup finished but its result does not match the manifest (counts, health). */
export class ValidationError extends StackvaultError {
  override readonly code: string = "VALIDATION";
  override readonly exitCode = EXIT_CODES.validation;
}

/** An AWS control-plane call (CloudFormation, EC2, SSM, SNS, CloudWatch) failed. */
export class CloudError extends StackvaultError {
  override readonly code: string = "CLOUD";
  override readonly exitCode = EXIT_CODES.cloud;
}

/** The command exists in the contract but its engine is not built yet. */
export class NotAvailableError extends StackvaultError {
  override readonly code: string = "NOT_AVAILABLE";
  override readonly exitCode = EXIT_CODES.notAvailable;
}

/** The run was cancelled (Ctrl-C, SIGTERM, an aborted signal). */
export class CancelledError extends StackvaultError {
  override readonly code: string = "CANCELLED";
  override readonly exitCode = EXIT_CODES.cancelled;
}

/** True for errors raised on purpose (print the message), false for bugs (print the stack). */
export function isStackvaultError(err: unknown): err is StackvaultError {
  return err instanceof StackvaultError;
}

/**
 * Throws a {@link CancelledError} if `signal` is aborted. Call it between units of work so that a cancelled
 * run stops promptly.
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new CancelledError("Cancelled.", { cause: signal.reason });
  }
}
