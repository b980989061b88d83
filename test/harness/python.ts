/**
 * The one Python environment of the harness (in the cache, keyed by interpreter and pins): the AWS API
 * emulator and the RQ worker.
 */
import { ensureVenv } from "./install.ts";

/** Pinned PyPI requirements of the harness's virtual environment. */
export const PYTHON_REQUIREMENTS = ["moto[server]==5.2.5", "rq==2.12.0"];

/** Path of the environment's python, creating the environment when missing. */
export function harnessPython(cacheDir: string, log: (message: string) => void): Promise<string> {
  return ensureVenv(cacheDir, PYTHON_REQUIREMENTS, log);
}
