import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT_CODES } from "../../src/core/errors.ts";
import { SETTINGS } from "../../src/config/settings.ts";
import { COMMANDS } from "../../src/cli/program.ts";
import { BIN, hasStackTrace, runCli } from "./run-cli.ts";

const cwd = await mkdtemp(path.join(os.tmpdir(), "stackvault-cli-"));
test.after(() => rm(cwd, { recursive: true, force: true }));

test("--help of every command exits 0 and lists its options, setting flags and an example", async () => {
  const results = await Promise.all(COMMANDS.map((spec) => runCli([...spec.path, "--help"], { cwd })));
  COMMANDS.forEach((spec, i) => {
    const r = results[i];
    assert.ok(r);
    const name = spec.path.join(" ");
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: stackvault ${name}`));
    for (const option of spec.options?.() ?? []) assert.ok(r.stdout.includes(option.long ?? "?"), `${name} --help lacks ${option.long}`);
    for (const s of SETTINGS.filter((x) => x.groups.some((g) => spec.groups.includes(g)))) {
      const flag = s.kind === "boolean" && s.defaultValue === true ? `--no-${s.flag}` : `--${s.flag}`;
      assert.ok(r.stdout.includes(flag), `${name} --help lacks ${flag}`);
      assert.ok(r.stdout.includes(s.env), `${name} --help lacks ${s.env}`);
    }
    assert.match(r.stdout, /Examples:\n {2}\$ /, `${name} --help has no example`);
    assert.match(r.stdout, /--json/, `${name} --help does not show the global options`);
  });
});

test("the main help lists the contract's commands (agent stays hidden) and the global options", async () => {
  const r = await runCli(["--help"], { cwd });
  assert.equal(r.code, 0);
  for (const word of ["backup", "restore", "list", "show", "verify", "prune", "stack", "bucket", "iam-policy", "cost", "dashboard", "demo"]) {
    assert.match(r.stdout, new RegExp(`^ {2}${word}\\b`, "m"), word);
  }
  assert.doesNotMatch(r.stdout, /^ {2}agent\b/m);
  for (const option of ["--json", "--config", "--version", "--quiet", "--verbose", "--no-color"]) assert.ok(r.stdout.includes(option), option);
  const stack = await runCli(["stack", "--help"], { cwd });
  assert.match(stack.stdout, /destroy/);
  assert.match(stack.stdout, /deploy/);
});

test("--version prints the package version, from the sources and through bin/stackvault.js", async () => {
  const { version } = JSON.parse(await readFile(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  for (const entry of [undefined, BIN]) {
    const r = await runCli(["--version"], { cwd, ...(entry ? { entry } : {}) });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), version);
  }
});

test("unknown flags, unknown commands, missing values and no command exit 2 with commander's message, no stack", async () => {
  const cases: [string[], RegExp][] = [
    [["backup", "--stack", "dev", "--bogus"], /unknown option '--bogus'/],
    [["backup", "--skip-reddis"], /unknown option '--skip-reddis'[\s\S]*--skip-redis/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["restore", "--backup-id"], /argument missing/],
    [["restore", "--latest", "--backup-id", "2025-10-25T14-30-00Z"], /cannot be used with/],
    [["backup", "--compression", "lz4"], /Allowed choices are zstd, gzip, none/],
    [["stack", "deploy", "--stack", "dev"], /--template <file>' not specified/],
    [[], /A command is required/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args, { cwd });
    assert.equal(r.code, EXIT_CODES.usage, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.ok(!hasStackTrace(r.stderr), r.stderr);
  }
});

test("a stack name with '/' or '..' is refused with a clear message naming the setting", async () => {
  const viaFlag = await runCli(["backup", "--stack", "prod/x", "--bucket", "knowwhere-backups-1"], { cwd });
  assert.equal(viaFlag.code, EXIT_CODES.config);
  assert.match(viaFlag.stderr, /Invalid setting "stack" = "prod\/x" \(from flag --stack\): expected a stack name .*no '\/'/);
  const viaOption = await runCli(["restore", "--stack", "ok", "--from-stack", "../other", "--latest"], { cwd });
  assert.equal(viaOption.code, EXIT_CODES.usage);
  assert.match(viaOption.stderr, /--from-stack <name>' argument '..\/other' is invalid/);
  for (const r of [viaFlag, viaOption]) assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test("an invalid bucket name and a relative file target are configuration errors (exit 3)", async () => {
  const bucket = await runCli(["list", "--bucket", "My_Bucket"], { cwd });
  assert.equal(bucket.code, EXIT_CODES.config);
  assert.match(bucket.stderr, /"bucket" = "My_Bucket" \(from flag --bucket\): expected an S3 bucket name/);
  const target = await runCli(["list", "--target", "file://relative"], { cwd });
  assert.equal(target.code, EXIT_CODES.config);
  assert.match(target.stderr, /"target"/);
});

test("a command whose engine is not in this version exits with the documented code and no stack", async () => {
  const demo = await runCli(["demo"], { cwd });
  assert.equal(demo.code, EXIT_CODES.notAvailable);
  assert.match(demo.stderr, /`stackvault demo` runs from a checkout.*\n.*npm run demo/);
});

test("a run through SSM needs an S3 target to carry its input and output", async () => {
  const r = await runCli(["backup", "--stack", "dev", "--target", `file://${cwd}`, "--host", "ssm://i-0123456789abcdef0"], { cwd });
  assert.equal(r.code, EXIT_CODES.config);
  assert.match(r.stderr, /through SSM \(--host ssm:\/\/i-0123456789abcdef0\) needs an S3 target/);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test("a backup without the Neo4j password says where to set it, before touching anything", async () => {
  const r = await runCli(["backup", "--stack", "dev", "--target", `file://${cwd}/b`, "--skip-qdrant", "--skip-redis"], { cwd });
  assert.equal(r.code, EXIT_CODES.config);
  assert.match(r.stderr, /needs NEO4J_PASSWORD/);
  assert.ok(!hasStackTrace(r.stderr), r.stderr);
});

test("required settings are asked for by flag, variable and config key", async () => {
  const r = await runCli(["backup", "--bucket", "knowwhere-backups-1"], { cwd });
  assert.equal(r.code, EXIT_CODES.config);
  assert.match(r.stderr, /`backup` needs a stack: set --stack, STACKVAULT_STACK or "stack" in stackvault.config.json/);
});

test("--json: stdout carries only JSON, errors included", async () => {
  const r = await runCli(["--json", "backup", "--stack", "dev", "--target", `file://${cwd}`, "--host", "ssm://i-0123456789abcdef0"], { cwd });
  assert.equal(r.code, EXIT_CODES.config);
  const docs = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(docs.map((d) => [d.type, d.code, d.exitCode]), [["error", "CONFIG", EXIT_CODES.config]]);
  const ok = await runCli(["config", "--json"], { cwd });
  assert.equal(ok.code, 0);
  const doc = JSON.parse(ok.stdout) as { type: string; settings: { key: string; value: unknown; source: string }[] };
  assert.equal(doc.type, "config");
  assert.deepEqual(doc.settings.find((s) => s.key === "region"), { key: "region", value: "eu-west-1", source: "default" });
});

test("precedence through the CLI: config file < STACKVAULT_* < flags", async () => {
  const dir = await mkdtemp(path.join(cwd, "prec-"));
  await writeFile(path.join(dir, "stackvault.config.yaml"), "stack: file-stack\nregion: us-east-1\ncompression: gzip\n");
  const r = await runCli(["config", "--json", "--compression", "none"], { cwd: dir, env: { STACKVAULT_REGION: "eu-central-1" } });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { settings: { key: string; value: unknown; source: string }[] };
  const get = (key: string) => doc.settings.find((s) => s.key === key);
  assert.equal(get("stack")?.value, "file-stack");
  assert.match(get("stack")?.source ?? "", /^config file .*stackvault\.config\.yaml$/);
  assert.deepEqual(get("region"), { key: "region", value: "eu-central-1", source: "environment variable STACKVAULT_REGION" });
  assert.deepEqual(get("compression"), { key: "compression", value: "none", source: "flag --compression" });
  const other = await runCli(["--config", path.join(dir, "stackvault.config.yaml"), "config", "--json"], { cwd });
  assert.equal((JSON.parse(other.stdout) as typeof doc).settings.find((s) => s.key === "stack")?.value, "file-stack");
});

test("a secret given in the environment never appears in output, not even inside an error", async () => {
  const secret = "s3cr3t-Neo4j-pass";
  const env = { NEO4J_PASSWORD: secret, REDIS_PASSWORD: "redis-secret-42", STACKVAULT_REDIS_URL: "redis://:url-secret-77@127.0.0.1:6379" };
  const outputs = [
    await runCli(["config"], { cwd, env }),
    await runCli(["config", "--json"], { cwd, env }),
    await runCli(["backup", "--stack", `x/${secret}`, "--json"], { cwd, env }),
    await runCli(["backup", "--stack", `x/${secret}`, "--verbose"], { cwd, env }),
  ];
  assert.equal(outputs[0]?.code, 0);
  assert.match(outputs[0]?.stdout ?? "", /secret neo4jPassword\s+set/);
  assert.equal(outputs[2]?.code, EXIT_CODES.config);
  assert.match(outputs[3]?.stderr ?? "", /"x\/\*\*\*"/, "the error is printed, with the secret masked");
  for (const r of outputs) {
    for (const s of [secret, "redis-secret-42", "url-secret-77"]) {
      assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `secret leaked: ${r.stdout}${r.stderr}`);
    }
  }
});

test("X and X_FILE both set is a configuration error (exit 3)", async () => {
  const r = await runCli(["config"], { cwd, env: { QDRANT_API_KEY: "qdrant-key-value", QDRANT_API_KEY_FILE: "/nonexistent" } });
  assert.equal(r.code, EXIT_CODES.config);
  assert.match(r.stderr, /QDRANT_API_KEY and QDRANT_API_KEY_FILE are both set/);
  assert.ok(!r.stderr.includes("qdrant-key-value"));
});

test("boolean, list and number flags reach the config; a mistyped variable is warned about on stderr", async () => {
  const r = await runCli(["config", "--json", "--no-validate", "--skip-redis", "--qdrant-collections", "knowbase,rfp_qa", "--keep-last", "3"], {
    cwd,
    env: { STACKVAULT_VALIDATE: "true", STACKVAULT_BUKET: "typo" },
  });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as { settings: { key: string; value: unknown }[] };
  const value = (key: string) => doc.settings.find((s) => s.key === key)?.value;
  assert.equal(value("validate"), false);
  assert.equal(value("skip.redis"), true);
  assert.deepEqual(value("qdrant.collections"), ["knowbase", "rfp_qa"]);
  assert.equal(value("retention.keepLast"), 3);
  assert.match(r.stdout, /"type":"log","level":"warn","message":"STACKVAULT_BUKET is not a stackvault setting and is ignored \(did you mean STACKVAULT_BUCKET\?\)\."/);
  const human = await runCli(["config"], { cwd, env: { STACKVAULT_BUKET: "typo" } });
  assert.match(human.stderr, /⚠ STACKVAULT_BUKET is not a stackvault setting/);
});

test("backup ids and --restore-from are checked at the edge (exit 2)", async () => {
  for (const args of [
    ["restore", "--stack", "dev", "--backup-id", "../../etc"],
    ["restore", "--stack", "dev", "--backup-id", "2025-02-30T10-00-00Z"],
    ["stack", "deploy", "--stack", "dev", "--template", "t.yaml", "--restore-from", "Test-Backup/../x"],
    ["stack", "deploy", "--stack", "dev", "--template", "t.yaml", "--param", "novalue"],
    ["restore", "--stack", "dev", "--rename", "knowbase=a=b"],
    ["restore", "--stack", "dev", "--rename", "../etc=x"],
    ["restore", "--stack", "dev", "--rename", "a=x", "--rename", "b=x"],
    ["restore", "--stack", "dev", "--rename", "a=x,a=y"],
  ]) {
    const r = await runCli(args, { cwd });
    assert.equal(r.code, EXIT_CODES.usage, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /is invalid/);
    assert.ok(!hasStackTrace(r.stderr));
  }
  const ok = await runCli(["stack", "deploy", "--stack", "dev", "--template", "t.yaml", "--restore-from", "Test-Backup/latest", "--param", "A=b"], { cwd });
  // The arguments parse; the restore then needs a target before anything is deployed.
  assert.equal(ok.code, EXIT_CODES.config, ok.stderr);
  assert.match(ok.stderr, /`stack deploy --restore-…` needs a target/);
  const skipped = await runCli(["restore", "--stack", "dev", "--target", `file://${cwd}/b`, "--latest", "--rename", "a=b", "--skip-qdrant"], { cwd });
  assert.equal(skipped.code, EXIT_CODES.usage, skipped.stderr);
  assert.match(skipped.stderr, /--rename names Qdrant collections, but Qdrant is left out/);
});
