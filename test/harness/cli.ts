/**
 * The `services` command: `npm run services -- start|stop|status [service …]`.
 *
 *   start   installs what is missing (cached outside the checkout), starts every test service that is not
 *           running on free loopback ports, writes `.cache/services/env`; a second start is a no-op
 *   stop    stops exactly the processes start recorded (dependents first)
 *   status  one line per service: running, DEAD or not started; exit code 0 only when all run
 *
 * Naming services restricts the command to them (start adds their dependencies, stop their dependents).
 */
import { loadServices } from "./services/index.ts";
import { withDependencies, startServices } from "./start.ts";
import { acquireLock, harnessPaths } from "./state.ts";
import { printStatus, stopServices } from "./stop.ts";

const [command, ...names] = process.argv.slice(2);
const log = (message: string): void => console.log(message);
const usage = "usage: npm run services -- start|stop|status [service …]";

if (command === undefined || !["start", "stop", "status"].includes(command)) {
  console.error(usage);
  process.exit(2);
}

const services = await loadServices();
const unknown = names.filter((n) => !services.some((s) => s.name === n));
if (unknown.length > 0) {
  console.error(`services: unknown service ${unknown.join(", ")}; known: ${services.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const paths = harnessPaths();

if (command === "status") {
  process.exit(printStatus(paths, services, log) ? 0 : 3);
}

const controller = new AbortController();
const interrupt = (): void => {
  log("services: interrupted; finishing the current step");
  controller.abort();
};
process.once("SIGINT", interrupt);
process.once("SIGTERM", interrupt);

const release = await acquireLock(paths, log, controller.signal);
let ok: boolean;
try {
  const selected = withDependencies(services, names.length === 0 ? services : services.filter((s) => names.includes(s.name)));
  ok =
    command === "start"
      ? await startServices(paths, services, selected, controller.signal, log)
      : await stopServices(paths, services, names, controller.signal, log);
} finally {
  release();
}
process.exit(ok ? 0 : 1);
