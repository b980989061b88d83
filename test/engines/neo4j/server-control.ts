/**
 * A {@link Neo4jServerControl} over the harness's `withNeo4jStopped` (test/harness/neo4j/control.ts): stop()
 * resolves once the shared test server is stopped, and the restart it returns lets the harness start it again
 * (same port, data and password) and waits for it.
 */
import type { Neo4jServerControl, RestartNeo4j } from "../../../src/engines/neo4j/index.ts";
import { withNeo4jStopped } from "../../harness/neo4j/control.ts";

/** Records "stopped"/"started" in `log` as it goes. */
export function harnessControl(log: string[]): Neo4jServerControl {
  return {
    stop: () =>
      new Promise<RestartNeo4j>((resolveStopped, rejectStopped) => {
        let release!: () => void;
        const held = new Promise<void>((resolve) => (release = resolve));
        let stopped = false;
        const whole = withNeo4jStopped(async () => {
          stopped = true;
          log.push("stopped");
          resolveStopped(async () => {
            release();
            await whole;
            log.push("started");
          });
          await held;
        });
        whole.catch((err: unknown) => {
          if (!stopped) rejectStopped(err);
        });
      }),
  };
}
