/**
 * Host discovery: which EC2 instance a CloudFormation stack runs on, and the address to reach it, so that
 * `stack deploy` and `stack destroy --backup` can run the data plane there without an explicit `--host`.
 *
 * Sources, first match wins:
 * 1. the stack's outputs: an instance id (`InstanceId`) and an address (`SshHost`, `PublicIp`, `PublicDnsName`,
 *    `PrivateIp`, in that order; key names compared without case, `Ip`/`IpAddress` both accepted) — the
 *    reference template in `examples/` outputs all of them;
 * 2. otherwise EC2: the instance named by the `InstanceId` output, or the running instance tagged
 *    `aws:cloudformation:stack-name` = the stack, its public address, else its private one.
 */
import { NotFoundError } from "../../core/errors.ts";
import { awsError } from "./errors.ts";

/** The instance a stack runs on. */
export interface StackHost {
  /** `i-…`, when known. */
  instanceId?: string;
  /** Address to connect to (IP or DNS name). */
  address: string;
  /** Where the address came from, for messages (`output PublicIp`, `EC2 tag aws:cloudformation:stack-name`). */
  source: string;
}

export interface HostLookupOptions {
  stack: string;
  region: string;
  /** The stack's outputs (from `CloudFormationStacks.describe`). */
  outputs: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/**
 * Finds the stack's host.
 * @throws NotFoundError when neither the outputs nor EC2 name a reachable instance; CloudError when EC2 refuses.
 */
export async function lookupStackHost(options: HostLookupOptions): Promise<StackHost> {
  const fromOutputs = hostFromOutputs(options.outputs);
  if (fromOutputs?.address) return fromOutputs as StackHost;
  const found = await findInstance(options, fromOutputs?.instanceId);
  if (found) return found;
  throw new NotFoundError(`Cannot tell which host stack '${options.stack}' runs on: no address among its outputs and no running instance tagged with it.`, {
    hint: "Give --host ssh://user@addr, or add an output such as PublicIp or PrivateIp to the template (see examples/).",
  });
}

/** The instance id and address the outputs name (address empty when none does); `undefined` when they name neither. */
export function hostFromOutputs(outputs: Readonly<Record<string, string>>): (Partial<StackHost> & { source: string }) | undefined {
  const byKey = new Map(Object.entries(outputs).map(([k, v]) => [k.toLowerCase(), { key: k, value: v.trim() }]));
  const instanceId = byKey.get("instanceid")?.value;
  for (const key of ADDRESS_OUTPUTS) {
    const hit = byKey.get(key);
    if (hit && hit.value !== "") return { ...(instanceId ? { instanceId } : {}), address: hit.value, source: `output ${hit.key}` };
  }
  return instanceId ? { instanceId, source: "output InstanceId" } : undefined;
}

/** How the data plane is reached on a found host. */
export interface HostUriOptions {
  /** SSH user (setting `ssh.user`). */
  user: string;
  /** SSH port. @default 22 */
  port?: number;
}

/**
 * The `--host` value for a found host: `ssh://user@addr[:port]` (IPv6 in brackets). This is the one place that
 * picks the channel: an `ssm://{instanceId}` choice (no inbound port needed) belongs here once the SSM
 * executor exists.
 */
export function hostUri(host: StackHost, options: HostUriOptions): string {
  const address = host.address.includes(":") ? `[${host.address}]` : host.address;
  const port = options.port === undefined || options.port === 22 ? "" : `:${options.port}`;
  return `ssh://${encodeURIComponent(options.user)}@${address}${port}`;
}

// --- internal ---

const ADDRESS_OUTPUTS = ["sshhost", "publicip", "publicipaddress", "publicdnsname", "privateip", "privateipaddress", "privatednsname"];

async function findInstance(options: HostLookupOptions, instanceId: string | undefined): Promise<StackHost | undefined> {
  const { EC2Client, DescribeInstancesCommand } = await import("@aws-sdk/client-ec2");
  const client = new EC2Client({ region: options.region, maxAttempts: 5 });
  try {
    const input = instanceId
      ? { InstanceIds: [instanceId] }
      : { Filters: [{ Name: "tag:aws:cloudformation:stack-name", Values: [options.stack] }, { Name: "instance-state-name", Values: ["pending", "running"] }] };
    const out = await client.send(new DescribeInstancesCommand(input), options.signal ? { abortSignal: options.signal } : {});
    const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
    for (const i of instances) {
      const address = i.PublicIpAddress || i.PublicDnsName || i.PrivateIpAddress;
      if (i.InstanceId && address) return { instanceId: i.InstanceId, address, source: instanceId ? "EC2 (output InstanceId)" : "EC2 tag aws:cloudformation:stack-name" };
    }
    return undefined;
  } catch (err) {
    throw awsError(err, `looking up the instance of stack ${options.stack}`, options.signal);
  } finally {
    client.destroy();
  }
}
