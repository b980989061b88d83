/**
 * Installers of the harness, all idempotent and fast when the pinned version is already there: Debian
 * packages through apt-get (with one `apt-get update` per run, only when something is missing), Go binaries
 * through `go install module@version` into a versioned folder of the cache, and Python virtual environments
 * keyed by interpreter and pinned requirements. Installs of one kind run one at a time, and one install
 * into the shared cache runs in one process at a time (see install-lock.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { withInstallLock } from "./install-lock.ts";
import { run } from "./process.ts";

/**
 * Makes sure `binary` exists, installing the Debian `packages` that provide it when it does not. Rejects
 * with apt-get's output when the install fails or the binary is still missing.
 */
export async function ensureDebian(binary: string, packages: string[], log: (message: string) => void): Promise<string> {
  if (existsSync(binary)) return binary;
  await aptInstall(packages, log);
  if (!existsSync(binary)) throw new Error(`apt-get installed ${packages.join(" ")} but ${binary} is still missing`);
  return binary;
}

/** What {@link ensureGoBinary} builds. */
export interface GoBinary {
  /** The main package, for example `github.com/versity/versitygw/cmd/versitygw`. */
  package: string;
  /** The pinned module version (a tag or a pseudo-version). */
  version: string;
  /** File name of the built binary. */
  binary: string;
  /** Versioned folder of the cache that holds the binary. */
  binDir: string;
  /** Where the build output goes. */
  logFile: string;
  /**
   * `replace` directives of the module's own go.mod (`go install pkg@version` refuses modules that have
   * any): when set, the package is built from a small wrapper module that repeats them.
   */
  wrapper?: { module: string; goVersion: string; replace: string[] };
}

/**
 * Makes sure `<binDir>/<binary>` exists, building it with `go install` (or `go build` in a wrapper module)
 * when it does not. The build goes to a temporary folder first, so an interrupted build never leaves a
 * half-written binary. Uses Go's own module and build caches, so a rebuild after a version bump is quicker.
 */
export async function ensureGoBinary(options: GoBinary, log: (message: string) => void): Promise<string> {
  const target = path.join(options.binDir, options.binary);
  if (existsSync(target)) return target;
  return serialized("go", () => withInstallLock(`${options.binDir}.lock`, options.binary, log, async () => {
    if (existsSync(target)) return target;
    const go = findGo();
    performed++;
    const building = `${options.binDir}.building`;
    rmSync(building, { recursive: true, force: true });
    mkdirSync(building, { recursive: true });
    mkdirSync(path.dirname(options.logFile), { recursive: true });
    log(`services: building ${options.package}@${options.version} with Go (a cold build takes minutes; log: ${options.logFile})`);
    const started = Date.now();
    const env = { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local" };
    let output = "";
    try {
      if (options.wrapper === undefined) {
        output += await run(go, ["install", `${options.package}@${options.version}`], { env: { ...env, GOBIN: building } });
      } else {
        const moduleDir = `${options.binDir}.module`;
        mkdirSync(moduleDir, { recursive: true });
        const w = options.wrapper;
        const goMod = [`module stackvault.test/build-${options.binary}`, "", `go ${w.goVersion}`, "", `require ${w.module} ${options.version}`, "", ...w.replace.map((r) => `replace ${r}`), ""];
        writeFileSync(path.join(moduleDir, "go.mod"), goMod.join("\n"));
        const inModule = { env: { ...env, GOFLAGS: "-mod=mod" }, cwd: moduleDir };
        output += await run(go, ["get", `${options.package}@${options.version}`], inModule);
        output += await run(go, ["build", "-o", path.join(building, options.binary), options.package], inModule);
      }
      writeFileSync(options.logFile, output);
    } catch (error) {
      writeFileSync(options.logFile, `${output}\n${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    mkdirSync(options.binDir, { recursive: true });
    renameSync(path.join(building, options.binary), target);
    rmSync(building, { recursive: true, force: true });
    log(`services: built ${options.binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return target;
  }));
}

/**
 * Makes sure a virtual environment with exactly `requirements` exists under the cache and resolves with its
 * python. The folder name carries the interpreter version and the pins, so a change of pin builds a new one.
 */
export async function ensureVenv(cacheDir: string, requirements: string[], log: (message: string) => void): Promise<string> {
  return serialized("venv", async () => {
    const python = await findPython(log);
    const version = (await run(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])).trim();
    const key = requirements.map((r) => r.replace(/[^A-Za-z0-9.]+/g, "")).join("-");
    const dir = path.join(cacheDir, `venv-py${version}-${key}`);
    const marker = path.join(dir, ".stackvault-complete");
    const venvPython = path.join(dir, "bin", "python");
    const ready = (): boolean => existsSync(marker) && readFileSync(marker, "utf8") === requirements.join("\n") && existsSync(venvPython);
    if (ready()) return venvPython;
    return withInstallLock(`${dir}.lock`, "a Python environment", log, async () => {
      if (ready()) return venvPython;
      log(`services: creating the Python environment ${dir} (${requirements.join(", ")})`);
      performed++;
      rmSync(dir, { recursive: true, force: true });
      await run(python, ["-m", "venv", dir]);
      await run(venvPython, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...requirements]);
      writeFileSync(marker, requirements.join("\n"));
      return venvPython;
    });
  });
}

/** How many installs or builds this process actually performed (0 on a warm start). */
export function installsPerformed(): number {
  return performed;
}

// --- internal ---

let performed = 0;

let aptUpdated = false;
const queues = new Map<string, Promise<unknown>>();

async function aptInstall(packages: string[], log: (message: string) => void): Promise<void> {
  await serialized("apt", async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (!aptUpdated) {
      log("services: apt-get update");
      await run("apt-get", ["update", "-q"], { env });
      aptUpdated = true;
    }
    log(`services: apt-get install ${packages.join(" ")}`);
    performed++;
    await run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...packages], { env });
  });
}

function serialized<T>(kind: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(kind) ?? Promise.resolve();
  const next = previous.then(work, work);
  queues.set(kind, next.catch(() => undefined));
  return next;
}

function findGo(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "" && existsSync(path.join(dir, "go"))) return path.join(dir, "go");
  }
  const standard = path.join(path.sep, "usr", "local", "go", "bin", "go");
  if (existsSync(standard)) return standard;
  throw new Error("the Go toolchain (go 1.24 or newer) is needed to build the S3 servers: install it and put `go` on PATH");
}

async function findPython(log: (message: string) => void): Promise<string> {
  for (const candidate of ["python3", "python"]) {
    try {
      await run(candidate, ["-c", "import venv, ensurepip"]);
      return candidate;
    } catch {
      // try the next one
    }
  }
  await aptInstall(["python3", "python3-venv"], log);
  return path.join(path.sep, "usr", "bin", "python3");
}
