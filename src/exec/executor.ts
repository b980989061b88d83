/**
 * The executor contract: runs a program on the machine that holds the stores — this one (`local`), a host
 * over SSH (`ssh`), or an EC2 instance through SSM (`ssm`). Plans and service controllers use it for
 * everything they do on the host (docker compose, systemctl, neo4j-admin, the host-side agent).
 *
 * Every implementation passes `test/exec/contract.ts`.
 */
import type { Readable, Writable } from "node:stream";

export interface RunOptions {
  signal?: AbortSignal;
  /** Bytes for the program's standard input (streamed when a Readable). Closed at its end; empty when absent. */
  stdin?: Readable | Buffer | string;
  /**
   * Where the program's standard output goes. When given, `RunResult.stdout` is empty and the bytes stream
   * here with back-pressure; otherwise up to {@link OUTPUT_LIMIT} bytes are collected.
   */
  stdout?: Writable;
  /**
   * Extra environment variables for the program. They travel through the channel, never in any argv (over
   * SSH they are written into the remote shell through standard input), so they may hold secrets.
   */
  env?: Record<string, string>;
  /** Working directory on the host. */
  cwd?: string;
  /** Fail with `ExecError` when the program exits non-zero (default true). */
  check?: boolean;
  /** Kill the program and fail after this many milliseconds. */
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  /** Collected standard output (empty when `options.stdout` was given); at most {@link OUTPUT_LIMIT} bytes. */
  stdout: string;
  /** Collected standard error, last {@link OUTPUT_LIMIT} bytes. */
  stderr: string;
}

/** Bytes of stdout/stderr kept in a {@link RunResult}. */
export const OUTPUT_LIMIT = 1024 * 1024;

export interface Executor {
  /** `local`, `ssh` or `ssm`. */
  readonly kind: string;
  /** Where programs run, for messages (`this machine`, `ssh://ec2-user@1.2.3.4:22`); no secrets. */
  readonly location: string;

  /**
   * Runs `program` with `args`, never through a shell on the operator's side (arguments are quoted for the
   * remote shell where one is unavoidable). Resolves with the exit code and collected output.
   * @throws ExecError when the program cannot start, the host is unreachable, the timeout expires, or (with
   * `check`, the default) the exit code is not 0 — the message names the program, the location, the exit code
   * and the tail of standard error. CancelledError when `signal` aborts (the program is killed).
   */
  run(program: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;

  /** Releases the connection. */
  close(): Promise<void>;
}
