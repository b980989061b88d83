/**
 * The CloudFormation side of `stack deploy` and `stack destroy`: describe a stack, create or update it, delete
 * it, and wait for the end of either while reporting each new stack event as progress (the seed's "attente de
 * DELETE_COMPLETE"). The SDK is loaded lazily; `AWS_ENDPOINT_URL` and the default credential chain apply.
 */
import type * as CloudFormationSdk from "@aws-sdk/client-cloudformation";
import type { CloudFormationClient, Stack as RawStack, StackEvent } from "@aws-sdk/client-cloudformation";
import { CloudError, NotFoundError, throwIfAborted } from "../../core/errors.ts";
import type { Emitter } from "../../core/events.ts";
import { awsError } from "./errors.ts";

/** What a command needs to know about a stack. */
export interface StackInfo {
  name: string;
  /** The stack's ARN (describes the stack even after it was deleted). */
  id: string;
  status: string;
  /** Outputs by key. */
  outputs: Record<string, string>;
  /** Parameter keys the stack was created with (kept on update when not given again). */
  parameterKeys: string[];
}

/** One physical resource of a stack (what `stack destroy` shows before deleting). */
export interface StackResourceInfo {
  logicalId: string;
  type: string;
  physicalId: string;
}

export interface StacksOptions {
  region: string;
  events: Emitter;
  signal?: AbortSignal;
  /** Pause between two polls while waiting. @default 5000 */
  pollMs?: number;
  /** Give up waiting after this long. @default 3600000 (one hour) */
  timeoutMs?: number;
}

/** The outcome of {@link CloudFormationStacks.deploy}. */
export interface DeployOutcome {
  action: "created" | "updated" | "unchanged";
  stack: StackInfo;
}

export interface DeployRequest {
  stack: string;
  templateBody: string;
  /** Parameters given now; the stack's other parameters keep their previous values on update. */
  parameters: Record<string, string>;
}

/** CloudFormation calls with one client; `close()` releases it. */
export interface CloudFormationStacks {
  /**
   * The stack named `name`, or `undefined` when no live stack has that name.
   * @throws CloudError when CloudFormation refuses the call.
   */
  describe(name: string): Promise<StackInfo | undefined>;
  /** The stack's resources (logical id, type, physical id). @throws CloudError */
  resources(name: string): Promise<StackResourceInfo[]>;
  /**
   * Creates the stack, or updates it when it exists (a template and parameters equal to the current ones give
   * `unchanged`), and waits until CREATE_COMPLETE / UPDATE_COMPLETE with progress events.
   * @throws CloudError when the stack fails or rolls back (message names the first failed resource and why),
   * or the wait times out; UsageError-like ValidationError from CloudFormation as CloudError.
   */
  deploy(request: DeployRequest): Promise<DeployOutcome>;
  /**
   * Deletes the stack and waits until DELETE_COMPLETE with progress events.
   * @throws NotFoundError when there is no such stack; CloudError when the deletion fails or times out.
   */
  destroy(name: string): Promise<void>;
  close(): void;
}

/** Opens the CloudFormation client for `options.region`. */
export async function cloudFormationStacks(options: StacksOptions): Promise<CloudFormationStacks> {
  const sdk = await import("@aws-sdk/client-cloudformation");
  const client = new sdk.CloudFormationClient({ region: options.region, maxAttempts: 5 });
  const send = options.signal ? { abortSignal: options.signal } : {};
  const call = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw awsError(err, action, options.signal);
    }
  };
  const describe = async (name: string): Promise<StackInfo | undefined> => {
    try {
      const stack = (await client.send(new sdk.DescribeStacksCommand({ StackName: name }), send)).Stacks?.[0];
      return stack === undefined ? undefined : toInfo(stack);
    } catch (err) {
      if (isMissingStack(err)) return undefined;
      throw awsError(err, `describing stack ${name}`, options.signal);
    }
  };
  const live = async (name: string): Promise<StackInfo | undefined> => {
    const info = await describe(name);
    return info === undefined || info.status === "DELETE_COMPLETE" ? undefined : info;
  };
  return {
    describe: live,
    resources: (name) =>
      call(`listing the resources of stack ${name}`, async () => {
        const out = await client.send(new sdk.DescribeStackResourcesCommand({ StackName: name }), send);
        return (out.StackResources ?? []).map((r) => ({ logicalId: r.LogicalResourceId ?? "", type: r.ResourceType ?? "", physicalId: r.PhysicalResourceId ?? "" }));
      }),
    deploy: async (request) => {
      const existing = await live(request.stack);
      const since = new Date();
      const given = Object.entries(request.parameters).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue }));
      if (existing === undefined) {
        options.events.info(`Creating stack ${request.stack}`);
        const created = await call(`creating stack ${request.stack}`, () =>
          client.send(new sdk.CreateStackCommand({ StackName: request.stack, TemplateBody: request.templateBody, Parameters: given, Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"] }), send),
        );
        const stack = await waitFor(client, sdk, created.StackId ?? request.stack, "CREATE_COMPLETE", since, options);
        return { action: "created", stack };
      }
      // As `aws cloudformation update-stack` does: a parameter not given takes the template's default, and
      // keeps its previous value only when the template has no default for it.
      const summary = await call(`reading the template for stack ${request.stack}`, () => client.send(new sdk.GetTemplateSummaryCommand({ TemplateBody: request.templateBody }), send));
      const noDefault = new Set((summary.Parameters ?? []).filter((p) => p.DefaultValue === undefined).map((p) => p.ParameterKey ?? ""));
      const kept = existing.parameterKeys.filter((k) => !(k in request.parameters) && noDefault.has(k)).map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true }));
      options.events.info(`Updating stack ${request.stack} (${existing.status})`);
      try {
        await client.send(new sdk.UpdateStackCommand({ StackName: existing.id, TemplateBody: request.templateBody, Parameters: [...given, ...kept], Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"] }), send);
      } catch (err) {
        if (/No updates are to be performed/i.test((err as Error).message ?? "")) return { action: "unchanged", stack: existing };
        throw awsError(err, `updating stack ${request.stack}`, options.signal);
      }
      return { action: "updated", stack: await waitFor(client, sdk, existing.id, "UPDATE_COMPLETE", since, options) };
    },
    destroy: async (name) => {
      const existing = await live(name);
      if (existing === undefined) throw missingStack(name, options.region);
      const since = new Date();
      await call(`deleting stack ${name}`, () => client.send(new sdk.DeleteStackCommand({ StackName: existing.id }), send));
      await waitFor(client, sdk, existing.id, "DELETE_COMPLETE", since, options);
    },
    close: () => client.destroy(),
  };
}

/** The error for a stack that does not exist in `region`. */
export function missingStack(name: string, region: string): NotFoundError {
  return new NotFoundError(`No CloudFormation stack named '${name}' in ${region}.`, { hint: "Check --stack and --region (`aws cloudformation list-stacks`)." });
}

// --- internal ---

type Sdk = typeof CloudFormationSdk;

function toInfo(stack: RawStack): StackInfo {
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return {
    name: stack.StackName ?? "",
    id: stack.StackId ?? stack.StackName ?? "",
    status: stack.StackStatus ?? "UNKNOWN",
    outputs,
    parameterKeys: (stack.Parameters ?? []).map((p) => p.ParameterKey ?? "").filter((k) => k !== ""),
  };
}

function isMissingStack(err: unknown): boolean {
  return /does not exist/i.test((err as Error | undefined)?.message ?? "");
}

/**
 * Polls the stack (by id, so a deleted stack still answers) until it reaches `goal`, reporting each stack
 * event newer than `since` once. A deleted stack that no longer answers counts as DELETE_COMPLETE.
 */
async function waitFor(client: CloudFormationClient, sdk: Sdk, stackId: string, goal: string, since: Date, options: StacksOptions): Promise<StackInfo> {
  const seen = new Set<string>();
  const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
  const send = options.signal ? { abortSignal: options.signal } : {};
  const failures: string[] = [];
  let polls = 0;
  for (;;) {
    throwIfAborted(options.signal);
    let stack: RawStack | undefined;
    try {
      stack = (await client.send(new sdk.DescribeStacksCommand({ StackName: stackId }), send)).Stacks?.[0];
    } catch (err) {
      if (!(goal === "DELETE_COMPLETE" && isMissingStack(err))) throw awsError(err, `waiting for stack ${stackId}`, options.signal);
    }
    for (const event of await newEvents(client, sdk, stackId, since, seen, send)) {
      const line = `${event.ResourceType ?? ""} ${event.LogicalResourceId ?? ""}: ${event.ResourceStatus ?? ""}${event.ResourceStatusReason ? ` (${event.ResourceStatusReason})` : ""}`;
      if (/FAILED$/.test(event.ResourceStatus ?? "")) {
        failures.push(line);
        options.events.warn(line);
      } else options.events.info(line);
    }
    const status = stack?.StackStatus ?? "DELETE_COMPLETE";
    if (status === goal) {
      options.events.ok(`Stack ${stack?.StackName ?? stackId}: ${status}`);
      return stack ? toInfo(stack) : { name: stackId, id: stackId, status, outputs: {}, parameterKeys: [] };
    }
    if (/(FAILED|ROLLBACK_COMPLETE)$/.test(status)) {
      throw new CloudError(`Stack ${stack?.StackName ?? stackId} ended in ${status} instead of ${goal}${failures[0] ? `: ${failures[0]}` : ""}.`, {
        hint: "Look at the stack's events in the CloudFormation console or `aws cloudformation describe-stack-events`.",
      });
    }
    if (Date.now() >= deadline) throw new CloudError(`Stack ${stack?.StackName ?? stackId} is still ${status} after ${Math.round((options.timeoutMs ?? 3_600_000) / 60_000)} minutes.`, { hint: "It goes on in CloudFormation; run the command again to wait for it." });
    // Short pauses first (small stacks finish fast), then the full interval.
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.pollMs ?? 5000, 500 * 2 ** polls++)));
  }
}

/** Stack events after `since` not reported yet, oldest first (a deleted stack may no longer list any). */
async function newEvents(client: CloudFormationClient, sdk: Sdk, stackId: string, since: Date, seen: Set<string>, send: { abortSignal?: AbortSignal }): Promise<StackEvent[]> {
  let events: StackEvent[];
  try {
    events = (await client.send(new sdk.DescribeStackEventsCommand({ StackName: stackId }), send)).StackEvents ?? [];
  } catch {
    return [];
  }
  const fresh = events.filter((e) => e.EventId !== undefined && !seen.has(e.EventId) && (e.Timestamp === undefined || e.Timestamp.getTime() >= since.getTime() - 1000));
  for (const e of fresh) seen.add(e.EventId ?? "");
  return fresh.reverse();
}
