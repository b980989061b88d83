/**
 * The process edges the CLI touches, gathered so that `main` can run against other streams and environments.
 */

/** A writable text stream (process.stdout/stderr or a test double). */
export interface OutStream {
  write(chunk: string): unknown;
  /** True when the stream is a terminal. */
  isTTY?: boolean;
  /** Terminal width in columns, when a terminal. */
  columns?: number;
}

export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** The real process. */
export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Whether to use colours on `stream`: never with `--no-color` or `NO_COLOR`, always with `FORCE_COLOR`
 * (other than `0`), otherwise only on a terminal.
 */
export function useColor(stream: OutStream, env: Io["env"], flag: boolean): boolean {
  if (!flag || (env.NO_COLOR !== undefined && env.NO_COLOR !== "")) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}
