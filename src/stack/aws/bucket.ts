/**
 * `bucket init`: the backup bucket set up the way the seed describes, and a little safer. Each setting is read
 * first and written only when it differs, so a second run changes nothing and says "already configured":
 *
 * - the bucket itself (created in the region when absent);
 * - versioning on;
 * - default encryption: AES256, or aws:kms with a key (bucket key on);
 * - the public access block (all four switches on);
 * - a bucket policy statement denying any request not made over TLS (`aws:SecureTransport` false), merged into
 *   the bucket's existing policy;
 * - lifecycle rules: noncurrent versions expire after N days, incomplete multipart uploads are aborted after N
 *   days; current versions are NOT expired by age unless asked (`expireCurrentDays`), because an age-only rule
 *   deletes every backup of a stack that was left idle: `prune` applies the retention policy instead; the SSM
 *   runs' exchange objects (`<prefix>/exec/`, deleted by the run itself) expire after N days, so that a run
 *   that crashed leaves nothing for long. Rules of the bucket that stackvault did not write are kept.
 */
import type * as SdkModule from "@aws-sdk/client-s3";
import type { S3Client } from "@aws-sdk/client-s3";
import { CloudError } from "../../core/errors.ts";
import { SSM_EXCHANGE_FOLDER } from "../../exec/ssm-exchange.ts";
import { connectS3 } from "../../targets/s3-client.ts";
import { awsError, awsErrorName, awsStatus } from "./errors.ts";

export interface BucketInitOptions {
  bucket: string;
  region: string;
  /** Endpoint of an S3-compatible server or emulator. @default AWS */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Default encryption. @default AES256 */
  encryption?: { algorithm: "AES256" } | { algorithm: "aws:kms"; kmsKeyId?: string };
  /** Days noncurrent versions are kept. @default 7 */
  noncurrentDays?: number;
  /** Days after which an unfinished multipart upload is aborted. @default 7 */
  abortMultipartDays?: number;
  /** Expire current versions under `stacks/` after N days; unset leaves expiry to `prune`. @default undefined */
  expireCurrentDays?: number;
  /** Prefix of the target in the bucket (`--target s3://B/prefix`), where the SSM exchange folder lives. @default "" */
  targetPrefix?: string;
  /** Days after which objects of the SSM exchange (`<targetPrefix>/exec/`) expire (a finished run deletes its own). @default 1 */
  exchangeDays?: number;
  /** Written at `key` when no object is there (the retention policy file; its content is the caller's). */
  retentionPolicy?: { key: string; body: string };
  signal?: AbortSignal;
}

/** What happened to one setting. */
export interface SettingOutcome {
  setting: "bucket" | "versioning" | "encryption" | "public access block" | "TLS-only policy" | "lifecycle" | "retention policy";
  status: "created" | "configured" | "updated" | "already configured" | "not checked";
  detail: string;
}

export interface BucketInitResult {
  bucket: string;
  region: string;
  outcomes: SettingOutcome[];
  /** Things the operator should know (current-version expiry, foreign rules…). */
  notes: string[];
}

/** Lifecycle rule ids stackvault owns; other rules are left alone. */
export const LIFECYCLE_RULE_IDS = {
  noncurrent: "stackvault-noncurrent-versions",
  multipart: "stackvault-abort-incomplete-uploads",
  expireCurrent: "stackvault-expire-current-versions",
  exchange: "stackvault-expire-ssm-exchange",
} as const;

/** Sid of the policy statement that refuses plain-HTTP access. */
export const TLS_ONLY_SID = "StackvaultDenyInsecureTransport";

/**
 * Creates and configures the bucket; idempotent.
 * @throws CloudError when AWS refuses a call (the message names it), ConfigError without credentials.
 */
export async function initBucket(options: BucketInitOptions): Promise<BucketInitResult> {
  const { sdk, client } = await connectS3({
    bucket: options.bucket,
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    maxAttempts: 3,
  });
  const call = callWith(client, options.signal);
  const ctx: Ctx = { sdk, call, options, notes: [] };
  try {
    const outcomes: SettingOutcome[] = [];
    for (const step of [ensureBucket, ensureVersioning, ensureEncryption, ensurePublicAccessBlock, ensureRetentionPolicy, ensureTlsOnlyPolicy, ensureLifecycle]) {
      const outcome = await step(ctx);
      if (outcome) outcomes.push(outcome);
    }
    if (options.expireCurrentDays === undefined) {
      ctx.notes.push(
        "Current backups are not expired by a lifecycle rule: `stackvault prune` applies the retention policy " +
          "(an age-only rule would delete every backup of a stack that was left idle). Run prune after backups, " +
          "or pass --expire-days N to add an age-based rule anyway.",
      );
    }
    return { bucket: options.bucket, region: options.region, outcomes, notes: ctx.notes };
  } finally {
    client.destroy();
  }
}

/** The bucket policy statement that denies non-TLS requests. */
export function tlsOnlyStatement(bucket: string): Record<string, unknown> {
  return {
    Sid: TLS_ONLY_SID,
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

// --- internal ---

type Call = <T>(command: object, action: string) => Promise<T>;

interface Ctx {
  sdk: typeof SdkModule;
  call: Call;
  options: BucketInitOptions;
  notes: string[];
}

function callWith(client: S3Client, signal: AbortSignal | undefined): Call {
  return async <T>(command: object, _action: string): Promise<T> => (await client.send(command as never, signal ? { abortSignal: signal } : {})) as T;
}

/** Runs `fn`; SDK errors become typed errors naming `action`. */
async function guarded<T>(action: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw awsError(err, action, signal);
  }
}

/** Runs a read that may answer "not configured" with one of `absent`'s error names. */
async function readOrAbsent<T>(ctx: Ctx, command: object, action: string, absent: readonly string[]): Promise<T | undefined> {
  try {
    return await ctx.call<T>(command, action);
  } catch (err) {
    if (absent.includes(awsErrorName(err))) return undefined;
    throw awsError(err, action, ctx.options.signal);
  }
}

async function ensureBucket(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, region, signal } = ctx.options;
  try {
    await ctx.call(new ctx.sdk.HeadBucketCommand({ Bucket: bucket }), `HeadBucket ${bucket}`);
  } catch (err) {
    const status = awsStatus(err);
    if (status === 403) {
      throw new CloudError(`The bucket ${bucket} exists but this AWS identity may not use it (403).`, {
        cause: err,
        hint: "Bucket names are global: pick another name, or use credentials of the account that owns it.",
      });
    }
    if (status !== 404 && awsErrorName(err) !== "NotFound" && awsErrorName(err) !== "NoSuchBucket") throw awsError(err, `HeadBucket ${bucket}`, signal);
    await guarded(`CreateBucket ${bucket}`, signal, () =>
      ctx.call(
        new ctx.sdk.CreateBucketCommand({
          Bucket: bucket,
          ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as SdkModule.BucketLocationConstraint } }),
        }),
        `CreateBucket ${bucket}`,
      ),
    );
    return { setting: "bucket", status: "created", detail: `s3://${bucket} in ${region}` };
  }
  const location = await readOrAbsent<SdkModule.GetBucketLocationCommandOutput>(ctx, new ctx.sdk.GetBucketLocationCommand({ Bucket: bucket }), `GetBucketLocation ${bucket}`, []);
  const actual = location?.LocationConstraint || "us-east-1";
  if (actual !== region) ctx.notes.push(`The bucket is in ${actual}, not ${region}: backups from ${region} pay cross-region transfer.`);
  return { setting: "bucket", status: "already configured", detail: `s3://${bucket} exists (${actual})` };
}

async function ensureVersioning(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, signal } = ctx.options;
  const out = await guarded(`GetBucketVersioning ${bucket}`, signal, () => ctx.call<SdkModule.GetBucketVersioningCommandOutput>(new ctx.sdk.GetBucketVersioningCommand({ Bucket: bucket }), "GetBucketVersioning"));
  if (out.Status === "Enabled") return { setting: "versioning", status: "already configured", detail: "enabled" };
  await guarded(`PutBucketVersioning ${bucket}`, signal, () => ctx.call(new ctx.sdk.PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: "Enabled" } }), "PutBucketVersioning"));
  return { setting: "versioning", status: out.Status === undefined ? "configured" : "updated", detail: out.Status === undefined ? "enabled" : `enabled (was ${out.Status})` };
}

async function ensureEncryption(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, signal } = ctx.options;
  const want = ctx.options.encryption ?? { algorithm: "AES256" as const };
  const wantKey = want.algorithm === "aws:kms" ? want.kmsKeyId : undefined;
  const describe = (alg: string, key: string | undefined) => (key ? `${alg} (key ${key})` : alg);
  const out = await readOrAbsent<SdkModule.GetBucketEncryptionCommandOutput>(ctx, new ctx.sdk.GetBucketEncryptionCommand({ Bucket: bucket }), `GetBucketEncryption ${bucket}`, [
    "ServerSideEncryptionConfigurationNotFoundError",
  ]);
  const current = out?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
  const currentKey = current?.KMSMasterKeyID || undefined;
  if (current?.SSEAlgorithm === want.algorithm && currentKey === wantKey) {
    return { setting: "encryption", status: "already configured", detail: describe(want.algorithm, wantKey) };
  }
  await guarded(`PutBucketEncryption ${bucket}`, signal, () =>
    ctx.call(
      new ctx.sdk.PutBucketEncryptionCommand({
        Bucket: bucket,
        ServerSideEncryptionConfiguration: {
          Rules: [
            {
              ApplyServerSideEncryptionByDefault: { SSEAlgorithm: want.algorithm, ...(wantKey === undefined ? {} : { KMSMasterKeyID: wantKey }) },
              ...(want.algorithm === "aws:kms" ? { BucketKeyEnabled: true } : {}),
            },
          ],
        },
      }),
      "PutBucketEncryption",
    ),
  );
  return current?.SSEAlgorithm === undefined
    ? { setting: "encryption", status: "configured", detail: describe(want.algorithm, wantKey) }
    : { setting: "encryption", status: "updated", detail: `${describe(want.algorithm, wantKey)} (was ${describe(current.SSEAlgorithm, currentKey)})` };
}

const BLOCK_ALL = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } as const;

async function ensurePublicAccessBlock(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, signal } = ctx.options;
  const out = await readOrAbsent<SdkModule.GetPublicAccessBlockCommandOutput>(ctx, new ctx.sdk.GetPublicAccessBlockCommand({ Bucket: bucket }), `GetPublicAccessBlock ${bucket}`, [
    "NoSuchPublicAccessBlockConfiguration",
  ]);
  const current = out?.PublicAccessBlockConfiguration;
  const off = Object.keys(BLOCK_ALL).filter((k) => current?.[k as keyof typeof BLOCK_ALL] !== true);
  if (off.length === 0) return { setting: "public access block", status: "already configured", detail: "all public access blocked" };
  await guarded(`PutPublicAccessBlock ${bucket}`, signal, () => ctx.call(new ctx.sdk.PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...BLOCK_ALL } }), "PutPublicAccessBlock"));
  return { setting: "public access block", status: current === undefined ? "configured" : "updated", detail: current === undefined ? "all public access blocked" : `all public access blocked (was off: ${off.join(", ")})` };
}

/** Writes the retention policy file unless one exists (before the TLS-only policy, which denies plain HTTP). */
async function ensureRetentionPolicy(ctx: Ctx): Promise<SettingOutcome | undefined> {
  const file = ctx.options.retentionPolicy;
  if (file === undefined) return undefined;
  const { bucket, signal, endpoint } = ctx.options;
  const where = `s3://${bucket}/${file.key}`;
  try {
    await ctx.call(new ctx.sdk.HeadObjectCommand({ Bucket: bucket, Key: file.key }), "HeadObject");
    return { setting: "retention policy", status: "already configured", detail: `${where} exists (left as it is)` };
  } catch (err) {
    const status = awsStatus(err);
    if (status === 403 && endpoint?.startsWith("http://") === true) {
      // Only an emulator or a test server is reached over plain HTTP; the TLS-only statement denies it.
      return { setting: "retention policy", status: "not checked", detail: `${where}: the TLS-only policy denies plain-HTTP object access (${endpoint})` };
    }
    if (status !== 404 && awsErrorName(err) !== "NotFound") throw awsError(err, `HeadObject ${where}`, signal);
  }
  await guarded(`PutObject ${where}`, signal, () =>
    ctx.call(new ctx.sdk.PutObjectCommand({ Bucket: bucket, Key: file.key, Body: file.body, ContentType: "application/json", IfNoneMatch: "*" }), "PutObject"),
  );
  return { setting: "retention policy", status: "configured", detail: `${where} written (the default policy of prune)` };
}

async function ensureTlsOnlyPolicy(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, signal } = ctx.options;
  const out = await readOrAbsent<SdkModule.GetBucketPolicyCommandOutput>(ctx, new ctx.sdk.GetBucketPolicyCommand({ Bucket: bucket }), `GetBucketPolicy ${bucket}`, ["NoSuchBucketPolicy"]);
  const wanted = tlsOnlyStatement(bucket);
  let policy: { Version?: string; Statement?: Record<string, unknown>[] } = { Version: "2012-10-17", Statement: [] };
  if (out?.Policy) {
    try {
      policy = JSON.parse(out.Policy) as typeof policy;
    } catch (err) {
      throw new CloudError(`The bucket policy of ${bucket} is not JSON; fix it by hand first.`, { cause: err });
    }
  }
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const existing = statements.find((s) => s.Sid === TLS_ONLY_SID);
  if (existing !== undefined && sameJson(existing, wanted)) return { setting: "TLS-only policy", status: "already configured", detail: "requests without TLS are denied" };
  const next = { Version: policy.Version ?? "2012-10-17", ...policy, Statement: [...statements.filter((s) => s.Sid !== TLS_ONLY_SID), wanted] };
  await guarded(`PutBucketPolicy ${bucket}`, signal, () => ctx.call(new ctx.sdk.PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(next) }), "PutBucketPolicy"));
  const kept = statements.length - (existing ? 1 : 0);
  return {
    setting: "TLS-only policy",
    status: existing ? "updated" : "configured",
    detail: `requests without TLS are denied${kept > 0 ? ` (${kept} other statement${kept === 1 ? "" : "s"} kept)` : ""}`,
  };
}

async function ensureLifecycle(ctx: Ctx): Promise<SettingOutcome> {
  const { bucket, signal } = ctx.options;
  const noncurrentDays = ctx.options.noncurrentDays ?? 7;
  const abortDays = ctx.options.abortMultipartDays ?? 7;
  const expire = ctx.options.expireCurrentDays;
  const exchangeDays = ctx.options.exchangeDays ?? 1;
  const exchangePrefix = ssmExchangePrefix(ctx.options.targetPrefix ?? "");
  const out = await readOrAbsent<SdkModule.GetBucketLifecycleConfigurationCommandOutput>(
    ctx,
    new ctx.sdk.GetBucketLifecycleConfigurationCommand({ Bucket: bucket }),
    `GetBucketLifecycleConfiguration ${bucket}`,
    ["NoSuchLifecycleConfiguration"],
  );
  const rules = out?.Rules ?? [];
  const ours = new Set<string>(Object.values(LIFECYCLE_RULE_IDS));
  const foreign = rules.filter((r) => !ours.has(r.ID ?? ""));
  const wanted: SdkModule.LifecycleRule[] = [
    { ID: LIFECYCLE_RULE_IDS.noncurrent, Status: "Enabled", Filter: { Prefix: "" }, NoncurrentVersionExpiration: { NoncurrentDays: noncurrentDays } },
    { ID: LIFECYCLE_RULE_IDS.multipart, Status: "Enabled", Filter: { Prefix: "" }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: abortDays } },
    ...(expire === undefined ? [] : [{ ID: LIFECYCLE_RULE_IDS.expireCurrent, Status: "Enabled" as const, Filter: { Prefix: "stacks/" }, Expiration: { Days: expire } }]),
    { ID: LIFECYCLE_RULE_IDS.exchange, Status: "Enabled", Filter: { Prefix: exchangePrefix }, Expiration: { Days: exchangeDays } },
  ];
  for (const r of foreign) {
    if (r.Status === "Enabled" && r.Expiration?.Days !== undefined) {
      ctx.notes.push(`Lifecycle rule '${r.ID ?? "(no id)"}' (not stackvault's) expires current objects after ${r.Expiration.Days} days: it may delete backups that prune would keep.`);
    }
  }
  const detail = `noncurrent versions kept ${noncurrentDays} days, incomplete uploads aborted after ${abortDays} days, ${expire === undefined ? "current versions left to prune" : `current versions under stacks/ expire after ${expire} days`}, SSM exchange objects under ${exchangePrefix} expire after ${exchangeDays} day${exchangeDays === 1 ? "" : "s"}`;
  const currentOurs = rules.filter((r) => ours.has(r.ID ?? "")).map(normalizeRule).sort(byId);
  if (sameJson(currentOurs, wanted.map(normalizeRule).sort(byId))) return { setting: "lifecycle", status: "already configured", detail };
  await guarded(`PutBucketLifecycleConfiguration ${bucket}`, signal, () =>
    ctx.call(new ctx.sdk.PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: [...foreign, ...wanted] } }), "PutBucketLifecycleConfiguration"),
  );
  return { setting: "lifecycle", status: currentOurs.length === 0 ? "configured" : "updated", detail: `${detail}${foreign.length > 0 ? ` (${foreign.length} other rule${foreign.length === 1 ? "" : "s"} kept)` : ""}` };
}

/** `exec/`, or `<prefix>/exec/` for a target with a prefix: where SSM runs put their exchange objects. */
function ssmExchangePrefix(targetPrefix: string): string {
  const prefix = targetPrefix.replace(/^\/+|\/+$/g, "");
  return prefix === "" ? `${SSM_EXCHANGE_FOLDER}/` : `${prefix}/${SSM_EXCHANGE_FOLDER}/`;
}

/** The parts of a rule stackvault decides, in a comparable shape. */
function normalizeRule(rule: SdkModule.LifecycleRule): Record<string, unknown> {
  const legacyPrefix = (rule as { Prefix?: string }).Prefix;
  return {
    id: rule.ID,
    status: rule.Status,
    prefix: rule.Filter?.Prefix ?? rule.Filter?.And?.Prefix ?? legacyPrefix ?? "",
    noncurrentDays: rule.NoncurrentVersionExpiration?.NoncurrentDays,
    abortDays: rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation,
    expireDays: rule.Expiration?.Days,
  };
}

function byId(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return String(a.id).localeCompare(String(b.id));
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Sorted keys, undefined dropped, so that two equal documents serialize the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}
