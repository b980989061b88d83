/**
 * `retention-policy.json` at the target root (the seed's file): the bucket's default retention policy, with
 * optional per-stack overrides. Settings given explicitly (config file, `STACKVAULT_…`, flags) win over it;
 * it wins over the built-in defaults.
 *
 * ```json
 * {
 *   "keep_last": 7, "keep_daily": 7, "keep_weekly": 4, "keep_monthly": 6,
 *   "keep_within_days": 0, "min_size_ratio": 0.5,
 *   "stacks": { "KnowWhere-Production": { "keep_daily": 14 } }
 * }
 * ```
 * `retention_days` (the seed's "7 days") is read as `keep_within_days`.
 */
import * as z from "zod";
import { ConfigError, NotFoundError } from "../core/errors.ts";
import type { Config } from "../config/schema.ts";
import { RETENTION_POLICY_KEY } from "../targets/layout.ts";
import { getBytes } from "../targets/target.ts";
import type { Target } from "../targets/target.ts";
import type { RetentionRules } from "./prune-select.ts";

const count = z.number().int().min(0);
const rulesShape = {
  keep_last: z.number().int().min(1).optional(),
  keep_daily: count.optional(),
  keep_weekly: count.optional(),
  keep_monthly: count.optional(),
  keep_within_days: count.optional(),
  retention_days: count.optional(),
  min_size_ratio: z.number().min(0).max(1).optional(),
};

/** The file's schema (unknown keys are refused: a typo must not silently keep or drop backups). */
export const retentionPolicySchema = z.strictObject({
  format_version: z.literal(1).optional(),
  description: z.string().optional(),
  ...rulesShape,
  stacks: z.record(z.string(), z.strictObject(rulesShape)).optional(),
});

export type RetentionPolicyFile = z.infer<typeof retentionPolicySchema>;

/** Where each effective rule came from. */
export type RuleOrigin = "default" | "retention-policy.json" | "retention-policy.json (stack)" | string;

export interface EffectiveRetention {
  rules: RetentionRules;
  origins: Record<keyof RetentionRules, RuleOrigin>;
  /** True when the target holds a `retention-policy.json`. */
  fromFile: boolean;
}

/**
 * Reads `retention-policy.json`, or `undefined` when the target has none.
 * @throws ConfigError when it exists but is not valid JSON or breaks the schema.
 */
export async function readRetentionPolicy(target: Target, signal?: AbortSignal): Promise<RetentionPolicyFile | undefined> {
  let bytes: Buffer;
  try {
    bytes = await getBytes(target, RETENTION_POLICY_KEY, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new ConfigError(`${target.location}/${RETENTION_POLICY_KEY} is not valid JSON.`, { cause: err, hint: "Fix or delete the file; `stackvault bucket init` writes a valid one." });
  }
  const parsed = retentionPolicySchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new ConfigError(`${target.location}/${RETENTION_POLICY_KEY} is not a valid retention policy: ${issues}.`, {
      hint: "Keys: keep_last, keep_daily, keep_weekly, keep_monthly, keep_within_days, min_size_ratio, stacks.{NAME}.…",
    });
  }
  return parsed.data;
}

/** The policy file that describes `config.retention` (what `bucket init` writes when the bucket has none). */
export function policyFileFrom(retention: Config["retention"]): RetentionPolicyFile {
  return {
    format_version: 1,
    description: "Default retention of stackvault prune; settings given to prune explicitly win. Per-stack overrides go under \"stacks\".",
    keep_last: retention.keepLast,
    keep_daily: retention.keepDaily,
    keep_weekly: retention.keepWeekly,
    keep_monthly: retention.keepMonthly,
    min_size_ratio: retention.minSizeRatio,
  };
}

/**
 * The rules in effect for `stack`: an explicitly set configuration value (file, env, flag) first, then the
 * stack's entry of the policy file, then the file's top level, then the built-in default.
 */
export function effectiveRetention(config: Pick<Config, "retention" | "sources">, file: RetentionPolicyFile | undefined, stack: string): EffectiveRetention {
  const perStack = file?.stacks?.[stack];
  const pick = (configKey: keyof Config["retention"], fileKey: keyof typeof rulesShape): [number, RuleOrigin] => {
    const source = config.sources[`retention.${configKey}`] ?? "default";
    if (source !== "default") return [config.retention[configKey], source];
    const stackValue = perStack?.[fileKey];
    if (stackValue !== undefined) return [stackValue, "retention-policy.json (stack)"];
    const fileValue = file?.[fileKey];
    if (fileValue !== undefined) return [fileValue, "retention-policy.json"];
    return [config.retention[configKey], "default"];
  };
  const within = perStack?.keep_within_days ?? perStack?.retention_days;
  const fileWithin = file?.keep_within_days ?? file?.retention_days;
  const [keepLast, oLast] = pick("keepLast", "keep_last");
  const [keepDaily, oDaily] = pick("keepDaily", "keep_daily");
  const [keepWeekly, oWeekly] = pick("keepWeekly", "keep_weekly");
  const [keepMonthly, oMonthly] = pick("keepMonthly", "keep_monthly");
  const [minSizeRatio, oRatio] = pick("minSizeRatio", "min_size_ratio");
  return {
    rules: { keepLast, keepDaily, keepWeekly, keepMonthly, keepWithinDays: within ?? fileWithin ?? 0, minSizeRatio },
    origins: {
      keepLast: oLast,
      keepDaily: oDaily,
      keepWeekly: oWeekly,
      keepMonthly: oMonthly,
      keepWithinDays: within !== undefined ? "retention-policy.json (stack)" : fileWithin !== undefined ? "retention-policy.json" : "default",
      minSizeRatio: oRatio,
    },
    fromFile: file !== undefined,
  };
}
