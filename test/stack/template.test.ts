/**
 * The reference CloudFormation template in examples/: cfn-lint (PyPI, pinned, in a cached virtualenv made by
 * the harness) finds nothing, and the instance role grants exactly what `stackvault iam-policy` prints.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { ScalarTag } from "yaml";
import { ensureVenv } from "../harness/install.ts";
import { harnessPaths } from "../harness/state.ts";
import { runCli } from "../cli/run-cli.ts";

const TEMPLATE = fileURLToPath(new URL("../../examples/knowwhere-host.yaml", import.meta.url));
const CFN_LINT = "cfn-lint==1.58.0";

test("cfn-lint finds nothing to report in the reference template", { timeout: 600_000 }, async () => {
  const python = await ensureVenv(harnessPaths().cacheDir, [CFN_LINT], (m) => console.error(m));
  const cfnLint = path.join(path.dirname(python), "cfn-lint");
  const lint = (file: string) =>
    promisify(execFile)(cfnLint, ["--format", "parseable", file]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` }),
    );
  const clean = await lint(TEMPLATE);
  assert.equal(clean.code, 0, clean.out);
  assert.equal(clean.out.trim(), "");

  // The linter does report a broken template (the check can fail): a misspelt property.
  const dir = await mkdtemp(path.join(os.tmpdir(), "sv-cfn-lint-"));
  try {
    const broken = path.join(dir, "broken.yaml");
    await writeFile(broken, (await readFile(TEMPLATE, "utf8")).replace("InstanceType: !Ref InstanceType", "InstanceTyp: !Ref InstanceType"));
    const report = await lint(broken);
    assert.notEqual(report.code, 0);
    assert.match(report.out, /InstanceTyp/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the instance role's policy is the one `stackvault iam-policy` prints; SSH only from the given network; the outputs the host lookup reads", async () => {
  const doc = parse(await readFile(TEMPLATE, "utf8"), { customTags: CFN_TAGS }) as Template;
  const bucket = "knowwhere-backups-715927975014";
  const role = doc.Resources.HostRole?.Properties as { Policies: { PolicyDocument: { Statement: unknown[] } }[] };
  const statements = JSON.parse(JSON.stringify(role.Policies[0]?.PolicyDocument.Statement).replaceAll("${AWS::Partition}", "aws").replaceAll("${BackupBucket}", bucket).replace(/\{"Fn::Sub":("[^"]*")\}/g, "$1")) as unknown[];
  const printed = await runCli(["iam-policy", "--bucket", bucket], { cwd: process.cwd() });
  assert.equal(printed.code, 0, printed.stderr);
  assert.deepEqual(statements, (JSON.parse(printed.stdout) as { Statement: unknown[] }).Statement);

  const ingress = (doc.Resources.HostSecurityGroup?.Properties as { SecurityGroupIngress: { FromPort: number; CidrIp: unknown }[] }).SecurityGroupIngress;
  assert.deepEqual(ingress.map((r) => [r.FromPort, r.CidrIp]), [[22, { Ref: "SshCidr" }]]);
  const userData = JSON.stringify(doc.Resources.Host?.Properties);
  assert.match(userData, /dnf install -y docker nodejs22/);
  for (const key of ["InstanceId", "PublicIp", "PrivateIp"]) assert.ok(key in doc.Outputs, key);
});

// --- internal ---

interface Template {
  Resources: Record<string, { Type: string; Properties?: unknown }>;
  Outputs: Record<string, unknown>;
}

/** CloudFormation's short forms, read as their long forms. */
const CFN_TAGS: ScalarTag[] = [
  { tag: "!Sub", resolve: (value: string) => ({ "Fn::Sub": value }) },
  { tag: "!Ref", resolve: (value: string) => ({ Ref: value }) },
  { tag: "!GetAtt", resolve: (value: string) => ({ "Fn::GetAtt": value.split(".") }) },
];
