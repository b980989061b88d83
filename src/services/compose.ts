/**
 * The `compose` controller: the stack's services as docker compose services on the host, driven through an
 * executor (`docker compose stop -t N worker`, `start`, `ps --format json`). A compose `stop` sends SIGTERM
 * and waits up to the timeout, which is an RQ worker's warm shutdown: the job in progress finishes first.
 */
import { ExecError } from "../core/errors.ts";
import type { Executor } from "../exec/executor.ts";
import { stopEach } from "./controller.ts";
import type { Restart, ServiceController, StopOptions } from "./controller.ts";
import { pollUntil } from "./wait.ts";

export interface ComposeOptions {
  executor: Executor;
  /** Compose project name (`-p`). @default the compose file's folder name, as docker compose decides */
  project?: string;
  /** Compose files (`-f`), in order. @default docker compose's own lookup in `projectDir` */
  files?: string[];
  /** Folder on the host holding the compose project (working directory of every call). */
  projectDir?: string;
  /** The docker CLI. @default "docker" */
  docker?: string;
}

export function composeController(options: ComposeOptions): ServiceController {
  const docker = options.docker ?? "docker";
  const base = ["compose", ...(options.project ? ["-p", options.project] : []), ...(options.files ?? []).flatMap((f) => ["-f", f])];
  const run = (args: string[], signal?: AbortSignal) =>
    options.executor.run(docker, [...base, ...args], { ...(signal ? { signal } : {}), ...(options.projectDir ? { cwd: options.projectDir } : {}) });
  const states = async (service: string, signal?: AbortSignal): Promise<ContainerState[]> => parsePs((await run(["ps", "--all", "--format", "json", service], signal)).stdout);
  const isRunning = async (service: string, opts: { signal?: AbortSignal } = {}): Promise<boolean> => (await states(service, opts.signal)).some((s) => s.State === "running");
  return {
    kind: "compose",
    isRunning,
    stop: (services: readonly string[], opts: StopOptions = {}): Promise<Restart> => {
      const seconds = String(Math.ceil((opts.timeoutMs ?? 60_000) / 1000));
      return stopEach(
        services,
        (s) => isRunning(s, opts),
        async (s) => void (await run(["stop", "-t", seconds, s], opts.signal)),
        async (s) => void (await run(["start", s])),
        opts.beforeStop,
      );
    },
    start: async (services, opts = {}) => {
      if (services.length > 0) await run(["start", ...services], opts.signal);
    },
    waitHealthy: async (services, opts = {}) => {
      const pending = new Set(services);
      const ok = await pollUntil(
        async () => {
          for (const service of [...pending]) {
            const list = await states(service, opts.signal);
            if (list.length > 0 && list.every((s) => s.State === "running" && (!s.Health || s.Health === "healthy"))) pending.delete(service);
          }
          return pending.size === 0;
        },
        { timeoutMs: opts.timeoutMs ?? 120_000, intervalMs: 1000, ...(opts.signal ? { signal: opts.signal } : {}) },
      );
      if (!ok) throw new ExecError(`Compose services not healthy after ${Math.round((opts.timeoutMs ?? 120_000) / 1000)} s: ${[...pending].join(", ")}.`, { hint: "Look at `docker compose ps` and `docker compose logs` on the host." });
    },
  };
}

// --- internal ---

interface ContainerState {
  Service?: string;
  State?: string;
  Health?: string;
}

/** `docker compose ps --format json` prints a JSON array (older versions) or one object per line (newer). */
function parsePs(text: string): ContainerState[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  if (trimmed.startsWith("[")) return JSON.parse(trimmed) as ContainerState[];
  return trimmed.split("\n").filter(Boolean).map((line) => JSON.parse(line) as ContainerState);
}
