/**
 * Host lookup and orphan EBS volumes against the AWS emulator (moto: CloudFormation, EC2). Nothing here
 * connects to a found address: the emulator's addresses are made up.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CreateVolumeCommand, DescribeInstancesCommand, DescribeVolumesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { Emitter } from "../../src/core/events.ts";
import { NotFoundError } from "../../src/core/errors.ts";
import { cloudFormationStacks } from "../../src/stack/aws/cloudformation.ts";
import { hostFromOutputs, hostUri, lookupStackHost } from "../../src/stack/aws/host-lookup.ts";
import { runCli } from "../cli/run-cli.ts";
import { MOTO_CREDENTIALS, motoCliEnv, motoEndpoint } from "../aws/moto.ts";

const REGION = "us-east-1";
const TEMPLATE = fileURLToPath(new URL("../../examples/knowwhere-host.yaml", import.meta.url));
const tag = randomBytes(3).toString("hex");
let dir: string;
let ec2: EC2Client;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "sv-stack-aws-"));
  // The modules use the SDK's default chain, as in production: the emulator through the environment.
  Object.assign(process.env, motoCliEnv(REGION));
  ec2 = new EC2Client({ region: REGION, endpoint: motoEndpoint(), credentials: MOTO_CREDENTIALS });
});

after(async () => {
  ec2?.destroy();
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { cwd: dir, env: motoCliEnv(REGION) });

test("hostUri: ssh://user@addr, IPv6 in brackets, a port only when not 22", () => {
  assert.equal(hostUri({ address: "203.0.113.7", source: "x" }, { user: "ec2-user" }), "ssh://ec2-user@203.0.113.7");
  assert.equal(hostUri({ address: "2001:db8::7", source: "x" }, { user: "ubuntu", port: 2222 }), "ssh://ubuntu@[2001:db8::7]:2222");
  assert.deepEqual(hostFromOutputs({ instanceid: "i-0abc", PrivateIp: "10.0.1.5", PublicIp: "203.0.113.7" }), { instanceId: "i-0abc", address: "203.0.113.7", source: "output PublicIp" });
  assert.deepEqual(hostFromOutputs({ InstanceId: "i-0abc" }), { instanceId: "i-0abc", source: "output InstanceId" });
  assert.equal(hostFromOutputs({ BucketName: "b" }), undefined);
});

test("the reference template's outputs name the instance and its address; without outputs the EC2 tag finds it; with neither, a clear error", async () => {
  const events = new Emitter();
  const cfn = await cloudFormationStacks({ region: REGION, events });
  try {
    const withOutputs = await cfn.deploy({ stack: `Lookup-${tag}`, templateBody: await readFile(TEMPLATE, "utf8"), parameters: { KeyPairName: "ops", BackupBucket: "knowwhere-backups-1", SshCidr: "198.51.100.7/32" } });
    assert.equal(withOutputs.action, "created");
    const found = await lookupStackHost({ stack: `Lookup-${tag}`, region: REGION, outputs: withOutputs.stack.outputs });
    assert.match(found.instanceId ?? "", /^i-[0-9a-f]+$/);
    assert.equal(found.source, "output PublicIp");
    const real = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [found.instanceId ?? ""] }))).Reservations?.[0]?.Instances?.[0];
    assert.equal(found.address, real?.PublicIpAddress, "the output is the instance's public address");

    const bare = await cfn.deploy({ stack: `Bare-${tag}`, templateBody: BARE_INSTANCE, parameters: {} });
    assert.deepEqual(bare.stack.outputs, {});
    const byTag = await lookupStackHost({ stack: `Bare-${tag}`, region: REGION, outputs: {} });
    assert.equal(byTag.source, "EC2 tag aws:cloudformation:stack-name");
    const tagged = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [byTag.instanceId ?? ""] }))).Reservations?.[0]?.Instances?.[0];
    assert.ok(tagged?.Tags?.some((t) => t.Key === "aws:cloudformation:stack-name" && t.Value === `Bare-${tag}`));
    assert.equal(byTag.address, tagged?.PublicIpAddress ?? tagged?.PrivateIpAddress);

    await assert.rejects(lookupStackHost({ stack: `Nothing-${tag}`, region: REGION, outputs: {} }), (e: Error) => e instanceof NotFoundError && /Cannot tell which host stack/.test(e.message));
  } finally {
    cfn.close();
  }
});

test("destroy lists the volumes a stack left behind and deletes them only with --delete-orphan-volumes; other stacks' volumes stay", async () => {
  const template = path.join(dir, "with-volume.yaml");
  await writeFile(template, RETAINED_VOLUME);
  const stacks = [`Orphans-${tag}`, `Orphans2-${tag}`];
  const retained: string[] = [];
  for (const stack of stacks) {
    const deploy = await cli(["--json", "stack", "deploy", "--stack", stack, "--region", REGION, "--template", template, "--direct"]);
    assert.equal(deploy.code, 0, deploy.stderr);
    const volume = await volumeOf(stack, "Data");
    retained.push(volume);
  }
  const other = (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Project", Value: `other-${tag}` }] }] }))).VolumeId ?? "";

  const kept = await cli(["--json", "stack", "destroy", "--stack", stacks[0] ?? "", "--region", REGION, "--yes"]);
  assert.equal(kept.code, 0, kept.stderr);
  const keptDoc = JSON.parse(kept.stdout.trim().split("\n").pop() ?? "{}") as { orphanVolumes: string[]; deletedVolumes: string[] };
  assert.ok(keptDoc.orphanVolumes.includes(retained[0] ?? ""), JSON.stringify(keptDoc));
  assert.deepEqual(keptDoc.deletedVolumes, []);
  assert.ok(await volumeExists(retained[0] ?? ""), "listed, not deleted");

  const removed = await cli(["stack", "destroy", "--stack", stacks[1] ?? "", "--region", REGION, "--yes", "--delete-orphan-volumes"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`Deleted EBS volume ${retained[1]}`));
  assert.equal(await volumeExists(retained[1] ?? ""), false);
  assert.ok(await volumeExists(retained[0] ?? ""), "the first stack's volume is not this stack's");
  assert.ok(await volumeExists(other), "an untagged volume of another project stays");
});

// --- internal ---

const BARE_INSTANCE = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t3.micro
`;

const RETAINED_VOLUME = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Host:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-12c6146b
      InstanceType: t3.micro
  Data:
    Type: AWS::EC2::Volume
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      Size: 8
      AvailabilityZone: !GetAtt Host.AvailabilityZone
`;

async function volumeOf(stack: string, logicalId: string): Promise<string> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:aws:cloudformation:stack-name", Values: [stack] }, { Name: "tag:aws:cloudformation:logical-id", Values: [logicalId] }] }));
  const id = out.Volumes?.[0]?.VolumeId;
  assert.ok(id, `stack ${stack} has a volume ${logicalId}`);
  return id;
}

async function volumeExists(volumeId: string): Promise<boolean> {
  const out = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "volume-id", Values: [volumeId] }] }));
  return (out.Volumes ?? []).length > 0;
}
