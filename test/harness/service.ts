/**
 * The contract of one test service of the harness (`npm run services -- start|stop|status`).
 *
 * Each service lives in `test/harness/services/<name>.ts` and default-exports a {@link TestService}. The
 * harness installs what is missing (cached outside the checkout, keyed by the pinned version), starts each
 * service as a detached process on a free loopback port with its state under `.cache/services/<name>/`,
 * records its pid, waits until it is ready, and merges the returned coordinates into `.cache/services/env`.
 */
export interface HarnessContext {
  /** Checkout root. */
  root: string;
  /** Download/build cache outside the checkout: `${XDG_CACHE_HOME:-~/.cache}/stackvault`. */
  cacheDir: string;
  /** This service's runtime folder: `.cache/services/<name>/` (data, logs, pid files). */
  stateDir: string;
  /** Coordinates written so far by services started before this one (for example REDIS_URL for the RQ worker). */
  env: Record<string, string>;
  /** Prints a progress line. */
  log(message: string): void;
  /** Aborted when the harness is interrupted (Ctrl-C); pass it on to long operations. */
  signal: AbortSignal;
  /** The default log file of this service: `<stateDir>/<name>.log`. */
  logFile: string;
  /**
   * Starts a process detached (own process group, stdin closed, stdout/stderr appended to `logFile` unless
   * another file is given, unref'd) and resolves with its pid. The harness remembers it: if `start` then
   * rejects, these processes are stopped so a failed start leaves nothing behind.
   */
  spawn(command: string, args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string; logFile?: string }): Promise<number>;
  /** A TCP port free on 127.0.0.1 a moment ago. */
  freePort(): Promise<number>;
  /**
   * Polls `check` until it resolves truthy (and resolves with that value); rejects after `timeoutMs`, or at
   * once when a process started with {@link HarnessContext.spawn} has exited.
   */
  waitFor<T>(label: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T>;
}

export interface StartedService {
  /** Lines for `.cache/services/env` (`NAME` → value). */
  env: Record<string, string>;
  /** Pids of every process this service started (the harness stops exactly these). */
  pids: number[];
  /** Log files, named in failure messages. */
  logs: string[];
}

export interface TestService {
  name: string;
  /** Names of services that must be started first. */
  after?: string[];
  /** Installs the pinned version if missing. Idempotent and fast when already cached. */
  install(ctx: HarnessContext): Promise<void>;
  /** Starts the service and resolves once it is ready; rejects with a message naming the log file. */
  start(ctx: HarnessContext): Promise<StartedService>;
  /**
   * How long the default stop waits after SIGTERM before the last-resort SIGKILL.
   * @default 30000
   */
  stopTimeoutMs?: number;
  /** Optional graceful stop (the default sends SIGTERM to `pids` and waits). */
  stop?(ctx: HarnessContext, started: StartedService): Promise<void>;
}
