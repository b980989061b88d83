/** Runs the CLI as a child process (`node src/cli/main.ts …`) with a clean environment. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
export const BIN = fileURLToPath(new URL("../../bin/stackvault.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `stackvault args…` in `cwd` with only `env` (plus PATH) in the environment. */
export function runCli(args: readonly string[], options: { cwd: string; env?: Record<string, string>; entry?: string; stdin?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.entry ?? MAIN, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", NODE_OPTIONS: "--disable-warning=ExperimentalWarning", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}

/** True when `text` contains a JavaScript stack trace. */
export function hasStackTrace(text: string): boolean {
  return /\n\s+at .+[(:]\d+/.test(text);
}
