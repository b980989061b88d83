/**
 * EBS volumes of a stack: the ones it has (shown before `stack destroy`) and the ones it left behind after
 * DELETE_COMPLETE (status `available`, e.g. from `DeletionPolicy: Retain` or `DeleteOnTermination: false`),
 * which keep costing money until deleted. A volume belongs to the stack when it carries the tag
 * `aws:cloudformation:stack-name` = the stack, or every one of the configured tags.
 */
import { awsError } from "./errors.ts";

export interface VolumeInfo {
  volumeId: string;
  /** `available`, `in-use`, … */
  state: string;
  sizeGib: number;
  /** The `Name` tag, when any. */
  name?: string;
}

export interface VolumeOptions {
  stack: string;
  region: string;
  /** Extra tags that mark a volume as the stack's (all must match), e.g. `{ Project: "KnowWhere" }`. @default {} */
  tags?: Readonly<Record<string, string>>;
  signal?: AbortSignal;
}

/**
 * The stack's volumes; with `onlyAvailable`, those attached to nothing. Sorted by id.
 * @throws CloudError when EC2 refuses.
 */
export async function stackVolumes(options: VolumeOptions & { onlyAvailable?: boolean }): Promise<VolumeInfo[]> {
  const { EC2Client, DescribeVolumesCommand } = await import("@aws-sdk/client-ec2");
  const client = new EC2Client({ region: options.region, maxAttempts: 5 });
  const state = options.onlyAvailable ? [{ Name: "status", Values: ["available"] }] : [];
  const filterSets = [[{ Name: "tag:aws:cloudformation:stack-name", Values: [options.stack] }]];
  const extra = Object.entries(options.tags ?? {});
  if (extra.length > 0) filterSets.push(extra.map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })));
  const found = new Map<string, VolumeInfo>();
  try {
    for (const filters of filterSets) {
      let token: string | undefined;
      do {
        const out = await client.send(new DescribeVolumesCommand({ Filters: [...filters, ...state], ...(token ? { NextToken: token } : {}) }), options.signal ? { abortSignal: options.signal } : {});
        for (const v of out.Volumes ?? []) {
          if (!v.VolumeId) continue;
          const name = v.Tags?.find((t) => t.Key === "Name")?.Value;
          found.set(v.VolumeId, { volumeId: v.VolumeId, state: v.State ?? "unknown", sizeGib: v.Size ?? 0, ...(name ? { name } : {}) });
        }
        token = out.NextToken;
      } while (token);
    }
  } catch (err) {
    throw awsError(err, `listing the EBS volumes of stack ${options.stack}`, options.signal);
  } finally {
    client.destroy();
  }
  return [...found.values()].sort((a, b) => (a.volumeId < b.volumeId ? -1 : 1));
}

/**
 * Deletes the volumes one by one; a volume that fails does not stop the others.
 * @returns the ids deleted and the failures (id and the reason).
 */
export async function deleteVolumes(volumeIds: readonly string[], options: { region: string; signal?: AbortSignal }): Promise<{ deleted: string[]; failed: { volumeId: string; reason: string }[] }> {
  const { EC2Client, DeleteVolumeCommand } = await import("@aws-sdk/client-ec2");
  const client = new EC2Client({ region: options.region, maxAttempts: 5 });
  const deleted: string[] = [];
  const failed: { volumeId: string; reason: string }[] = [];
  try {
    for (const volumeId of volumeIds) {
      try {
        await client.send(new DeleteVolumeCommand({ VolumeId: volumeId }), options.signal ? { abortSignal: options.signal } : {});
        deleted.push(volumeId);
      } catch (err) {
        failed.push({ volumeId, reason: awsError(err, `deleting volume ${volumeId}`, options.signal).message });
      }
    }
  } finally {
    client.destroy();
  }
  return { deleted, failed };
}
