/**
 * Bad input, table-driven: malformed commands, configuration files and environments. Every case must end with a
 * clear message on stderr and its documented exit code (README "Exit codes"), never a stack trace, and never
 * show the secrets present in the environment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT_CODES, type ExitCodeName } from "../../src/core/errors.ts";
import { hasStackTrace, runCli } from "../cli/run-cli.ts";

const SECRETS = { NEO4J_PASSWORD: "n4j-Secret-91f", REDIS_PASSWORD: "rds-Secret-5c2", QDRANT_API_KEY: "qd-Secret-7ab" };

interface Case {
  why: string;
  args: string[];
  code: ExitCodeName;
  /** What stderr must say. */
  says: RegExp;
  env?: Record<string, string>;
  /** Content of `stackvault.config.json` (or of the named file) in the working folder. */
  config?: { name?: string; text: string };
}

const cwdFile = "file:///tmp/stackvault-bad-input";

const CASES: Case[] = [
  // Commands and flags
  { why: "no command", args: [], code: "usage", says: /Usage|command/i },
  { why: "unknown command", args: ["bakcup"], code: "usage", says: /unknown command 'bakcup'/ },
  { why: "unknown flag", args: ["list", "--stak", "dev"], code: "usage", says: /unknown option '--stak'/ },
  { why: "flag without its value", args: ["list", "--stack"], code: "usage", says: /argument missing|requires/i },
  { why: "stack name with a slash", args: ["list", "--stack", "a/b", "--target", cwdFile], code: "config", says: /stack/ },
  { why: "stack name with ..", args: ["list", "--stack", "..", "--target", cwdFile], code: "config", says: /stack/ },
  { why: "stack name too long", args: ["list", "--stack", "s".repeat(200), "--target", cwdFile], code: "config", says: /stack/ },
  { why: "backup id not a timestamp", args: ["show", "--stack", "dev", "--target", cwdFile, "--backup-id", "yesterday"], code: "usage", says: /backup id/ },
  { why: "backup id with a path", args: ["restore", "--stack", "dev", "--backup-id", "../../etc"], code: "usage", says: /backup id/ },
  { why: "impossible date as backup id", args: ["restore", "--stack", "dev", "--backup-id", "2025-13-01T00-00-00Z"], code: "usage", says: /backup id/ },
  { why: "--latest with --backup-id", args: ["restore", "--stack", "dev", "--target", cwdFile, "--latest", "--backup-id", "2025-10-25T14-30-00Z"], code: "usage", says: /cannot be used with/ },
  { why: "restore without a selector", args: ["restore", "--stack", "dev", "--target", cwdFile, "--yes"], code: "usage", says: /needs --latest or --backup-id/ },
  { why: "restore without a stack", args: ["restore", "--target", cwdFile, "--latest"], code: "config", says: /stack/ },
  { why: "backup without a target", args: ["backup", "--stack", "dev"], code: "config", says: /target|bucket/ },
  { why: "invalid bucket name", args: ["list", "--bucket", "Not_A_Bucket"], code: "config", says: /bucket/ },
  { why: "bucket name too short", args: ["list", "--bucket", "ab"], code: "config", says: /bucket/ },
  { why: "relative file target", args: ["list", "--target", "file://backups"], code: "config", says: /target/ },
  { why: "unknown target scheme", args: ["list", "--target", "ftp://host/x"], code: "config", says: /target/ },
  { why: "bad region", args: ["list", "--stack", "dev", "--target", cwdFile, "--region", "moon-1"], code: "config", says: /region/ },
  { why: "unknown compression", args: ["backup", "--stack", "dev", "--target", cwdFile, "--compression", "lz4"], code: "usage", says: /Allowed choices are zstd, gzip, none/ },
  { why: "compression level out of range", args: ["backup", "--stack", "dev", "--target", cwdFile, "--compression-level", "40"], code: "config", says: /compression-level|compressionLevel/ },
  { why: "compression level not a number", args: ["backup", "--stack", "dev", "--target", cwdFile, "--compression-level", "high"], code: "config", says: /compressionLevel|compression-level/ },
  { why: "unknown Neo4j method", args: ["backup", "--stack", "dev", "--target", cwdFile, "--neo4j-method", "csv"], code: "usage", says: /Allowed choices are cypher, apoc, dump/ },
  { why: "Neo4j URI with http scheme", args: ["backup", "--stack", "dev", "--target", cwdFile, "--neo4j-uri", "http://localhost:7474"], code: "config", says: /neo4j/i },
  { why: "Redis URL with http scheme", args: ["backup", "--stack", "dev", "--target", cwdFile, "--redis-url", "http://localhost:6379"], code: "config", says: /redis/i },
  { why: "Qdrant URL not a URL", args: ["backup", "--stack", "dev", "--target", cwdFile, "--qdrant-url", "localhost6333"], code: "config", says: /qdrant/i },
  { why: "collection name with a slash", args: ["backup", "--stack", "dev", "--target", cwdFile, "--qdrant-collections", "a/b"], code: "config", says: /collection/ },
  { why: "unknown services controller", args: ["backup", "--stack", "dev", "--target", cwdFile, "--services-controller", "k8s"], code: "usage", says: /Allowed choices are compose, systemd, command, none/ },
  { why: "negative keep-last", args: ["prune", "--stack", "dev", "--target", cwdFile, "--keep-last", "-1"], code: "config", says: /keep/i },
  { why: "size ratio above 1", args: ["prune", "--stack", "dev", "--target", cwdFile, "--min-size-ratio", "3"], code: "config", says: /ratio/i },
  { why: "host with a bad scheme", args: ["backup", "--stack", "dev", "--target", cwdFile, "--host", "telnet://box"], code: "config", says: /host/ },
  { why: "ssm host that is no instance id", args: ["backup", "--stack", "dev", "--target", cwdFile, "--host", "ssm://my-box"], code: "config", says: /host/ },
  { why: "rename without =", args: ["restore", "--stack", "dev", "--rename", "knowbase"], code: "usage", says: /OLD=NEW/ },
  { why: "rename into two of one name", args: ["restore", "--stack", "dev", "--rename", "a=x,b=x"], code: "usage", says: /restored as 'x'/ },
  { why: "deploy parameter without =", args: ["stack", "deploy", "--stack", "dev", "--template", "t.yaml", "--param", "KeyOnly"], code: "usage", says: /is invalid/ },
  { why: "restore-from with a path", args: ["stack", "deploy", "--stack", "dev", "--template", "t.yaml", "--restore-from", "a/../b"], code: "usage", says: /is invalid/ },
  { why: "deep verify without scratch stores", args: ["verify", "--stack", "dev", "--target", cwdFile, "--deep"], code: "usage", says: /at least one scratch store/ },
  { why: "scratch Redis URL of another scheme", args: ["verify", "--stack", "dev", "--target", cwdFile, "--deep", "--scratch-redis-url", "http://x"], code: "usage", says: /redis:\/\//i },
  { why: "restore without --yes and without a terminal", args: ["restore", "--stack", "dev", "--target", cwdFile, "--latest", "--skip-neo4j", "--skip-qdrant", "--skip-redis"], code: "notFound", says: /latest|backup/i },
  // Environment
  { why: "password and password file both set", args: ["config"], env: { NEO4J_PASSWORD_FILE: "/nonexistent" }, code: "config", says: /both/ },
  { why: "password file that does not exist", args: ["config"], env: { NEO4J_PASSWORD: "", REDIS_PASSWORD: "", QDRANT_API_KEY: "", REDIS_PASSWORD_FILE: "/nonexistent/redis.pw" }, code: "config", says: /redis.pw|REDIS_PASSWORD_FILE/ },
  { why: "variable of the wrong type", args: ["config"], env: { STACKVAULT_COMPRESSION_LEVEL: "max" }, code: "config", says: /STACKVAULT_COMPRESSION_LEVEL/ },
  { why: "boolean variable that is not one", args: ["config"], env: { STACKVAULT_SKIP_REDIS: "maybe" }, code: "config", says: /STACKVAULT_SKIP_REDIS/ },
  { why: "invalid target in the environment", args: ["list"], env: { STACKVAULT_TARGET: "s3://" }, code: "config", says: /STACKVAULT_TARGET|target/ },
  { why: "invalid stack in the environment", args: ["list"], env: { STACKVAULT_STACK: "a b" }, code: "config", says: /STACKVAULT_STACK|stack/ },
  // Configuration files
  { why: "config file that is not JSON", args: ["config"], config: { text: "{ stack: dev" }, code: "config", says: /stackvault\.config\.json/ },
  { why: "config file with an unknown key", args: ["config"], config: { text: JSON.stringify({ stak: "dev" }) }, code: "config", says: /stak/ },
  { why: "config file with a wrong type", args: ["config"], config: { text: JSON.stringify({ compressionLevel: "3" }) }, code: "config", says: /compressionLevel/ },
  { why: "config file with a nested unknown key", args: ["config"], config: { text: JSON.stringify({ redis: { uri: "redis://x" } }) }, code: "config", says: /uri/ },
  { why: "config file that is a list", args: ["config"], config: { text: "[1, 2]" }, code: "config", says: /stackvault\.config\.json/ },
  { why: "YAML config that does not parse", args: ["config"], config: { name: "stackvault.config.yaml", text: "stack: [dev\n" }, code: "config", says: /stackvault\.config\.yaml/ },
  { why: "--config naming a missing file", args: ["config", "--config", "nowhere.json"], code: "config", says: /nowhere\.json/ },
  { why: "secret in a config file", args: ["config"], config: { text: JSON.stringify({ neo4j: { password: "inline" } }) }, code: "config", says: /password/ },
  // Targets that exist but are wrong
  { why: "list of a stack without backups", args: ["show", "--stack", "nobody", "--target", cwdFile, "--latest"], code: "notFound", says: /nobody|backup/ },
];

test(`${CASES.length} malformed commands, configurations and environments: clear errors, documented exit codes, no stack trace, no secret`, async () => {
  assert.ok(CASES.length >= 50);
  const root = await mkdtemp(path.join(os.tmpdir(), "sv-bad-input-"));
  const failures: string[] = [];
  const queue = CASES.map((c, i) => ({ c, i }));
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const { c, i } = item;
      const cwd = path.join(root, String(i));
      await mkdir(cwd, { recursive: true });
      if (c.config) await writeFile(path.join(cwd, c.config.name ?? "stackvault.config.json"), c.config.text);
      const r = await runCli(c.args, { cwd, env: { ...SECRETS, HOME: cwd, ...c.env } });
      const out = r.stdout + r.stderr;
      const problems = [
        r.code !== EXIT_CODES[c.code] ? `exit ${String(r.code)}, expected ${EXIT_CODES[c.code]} (${c.code})` : "",
        c.says.test(r.stderr) ? "" : `stderr does not match ${String(c.says)}`,
        hasStackTrace(out) ? "a stack trace" : "",
        Object.values(SECRETS).some((s) => out.includes(s)) ? "a secret in the output" : "",
      ].filter(Boolean);
      if (problems.length > 0) failures.push(`${c.why} (stackvault ${c.args.join(" ")}): ${problems.join("; ")}\n    stderr: ${r.stderr.trim().split("\n").slice(0, 3).join(" | ")}`);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  assert.deepEqual(failures, []);
});
