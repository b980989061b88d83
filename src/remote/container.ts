/**
 * The `node:22` container fallback (DESIGN §2): when the host has no Node.js 22 or newer but has Docker, the
 * agent bundle runs in a throw-away official Node container joined to the compose project's network, where the
 * stores are reached by their service names (e.g. `--redis-url redis://redis:6379`). Only the bundle is
 * mounted, read-only; the job (secrets included) still travels on standard input, never in docker's argv.
 * The setting `remote.containerFallback` (`--no-container-fallback`) turns the fallback off: such a host is then
 * refused (ship.ts), for operators who do not want an image pulled on their host.
 */
import { MALLOC_ENV, NODE_FLAGS } from "../core/node-flags.ts";

/** Image the bundle runs in when the host's Node is missing or too old. */
export const NODE_IMAGE = "node:22";

/** Where the bundle is mounted inside the container. */
export const CONTAINER_BUNDLE = "/stackvault/agent.mjs";

/** The compose project's default network (`<project>_default`, as `docker compose` names it). */
export function composeNetwork(project: string): string {
  return `${project}_default`;
}

/** `docker run` argv that runs the agent from `bundlePath` (on the host) in {@link NODE_IMAGE} on `network`. */
export function containerAgentCommand(bundlePath: string, network: string, docker = "docker"): { program: string; args: string[] } {
  return {
    program: docker,
    args: ["run", "--rm", "-i", "--init", "--network", network, "--volume", `${bundlePath}:${CONTAINER_BUNDLE}:ro`, ...Object.entries(MALLOC_ENV).flatMap(([name, value]) => ["--env", `${name}=${value}`]), NODE_IMAGE, "node", ...NODE_FLAGS, CONTAINER_BUNDLE, "agent", "run", "--json"],
  };
}
