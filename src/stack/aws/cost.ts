/**
 * The monthly cost of a stack's backups in S3: storage of the backups the retention policy keeps (plus the
 * noncurrent versions a prune leaves for the lifecycle rule to expire), PUT/GET requests of backups and their
 * validation, and what a restore costs when it downloads out of AWS. Pure arithmetic on a price table that the
 * user can override; the prices are S3 Standard list prices per region (USD) and change over time.
 */
import { ConfigError } from "../../core/errors.ts";
import { selectForPrune } from "../../plans/prune-select.ts";
import type { RetentionRules } from "../../plans/prune-select.ts";

export interface S3Prices {
  /** USD per GB-month of S3 Standard storage (first 50 TB). */
  storagePerGbMonth: number;
  /** USD per 1,000 PUT/COPY/POST/LIST requests. */
  putPer1000: number;
  /** USD per 1,000 GET requests. */
  getPer1000: number;
  /** USD per GB transferred out to the internet (first 10 TB). */
  egressPerGb: number;
}

/** S3 Standard list prices (USD) of some regions; others fall back to us-east-1's with a note. */
export const REGION_PRICES: Readonly<Record<string, S3Prices>> = {
  "us-east-1": { storagePerGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.09 },
  "us-east-2": { storagePerGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.09 },
  "us-west-2": { storagePerGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.09 },
  "eu-west-1": { storagePerGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.09 },
  "eu-west-2": { storagePerGbMonth: 0.024, putPer1000: 0.0053, getPer1000: 0.00042, egressPerGb: 0.09 },
  "eu-west-3": { storagePerGbMonth: 0.024, putPer1000: 0.0053, getPer1000: 0.00042, egressPerGb: 0.09 },
  "eu-central-1": { storagePerGbMonth: 0.0245, putPer1000: 0.0054, getPer1000: 0.00043, egressPerGb: 0.09 },
  "eu-north-1": { storagePerGbMonth: 0.023, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.09 },
  "ap-southeast-1": { storagePerGbMonth: 0.025, putPer1000: 0.005, getPer1000: 0.0004, egressPerGb: 0.12 },
  "ap-northeast-1": { storagePerGbMonth: 0.025, putPer1000: 0.0047, getPer1000: 0.00037, egressPerGb: 0.114 },
};

export interface CostInput {
  region: string;
  /** Stored bytes of one backup. */
  backupBytes: number;
  /** Objects written per backup (artifacts + manifest + latest). */
  objectsPerBackup: number;
  /** Multipart part size in bytes (each part is one PUT). */
  partSizeBytes: number;
  backupsPerDay: number;
  /** Backups kept: by age (`days`) or by the retention rules (steady state of `prune`). */
  retention: { days: number } | { rules: RetentionRules };
  /** Days a pruned backup's noncurrent versions stay (the bucket's lifecycle rule). @default 7 */
  noncurrentDays?: number;
  /** Backups re-read for validation (one GET per object). @default true */
  validate?: boolean;
  /** Prices to use instead of the region's. */
  prices?: Partial<S3Prices>;
}

export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  monthly: number;
}

export interface CostEstimate {
  region: string;
  prices: S3Prices;
  /** Where the prices came from. */
  pricesFrom: string;
  keptBackups: number;
  lines: CostLine[];
  monthlyTotal: number;
  /** One restore downloaded out of AWS (inside the region it is free). */
  restoreOutsideAws: number;
}

const GB = 1e9;
const DAYS_PER_MONTH = 30.4375;

/** The estimate. @throws ConfigError for non-positive sizes or rates. */
export function estimateCost(input: CostInput): CostEstimate {
  if (!(input.backupBytes >= 0) || !(input.backupsPerDay > 0)) throw new ConfigError("The cost estimate needs a backup size of 0 or more and a positive number of backups per day.");
  const base = REGION_PRICES[input.region];
  const prices: S3Prices = { ...(base ?? REGION_PRICES["us-east-1"]!), ...input.prices };
  const pricesFrom = input.prices && Object.keys(input.prices).length > 0 ? "your price file" : base ? `S3 Standard list prices, ${input.region}` : `us-east-1 list prices (no table for ${input.region}; give --prices)`;
  const kept = "days" in input.retention ? Math.max(1, Math.round(input.retention.days * input.backupsPerDay)) : steadyStateKept(input.retention.rules, input.backupsPerDay);
  const perMonth = input.backupsPerDay * DAYS_PER_MONTH;
  const noncurrentBackups = Math.min(perMonth, input.backupsPerDay * (input.noncurrentDays ?? 7));
  const parts = Math.max(1, Math.ceil(input.backupBytes / Math.max(1, input.partSizeBytes)));
  // One PUT per object, one more per extra multipart part, and the lock (take, release).
  const putsPerBackup = input.objectsPerBackup + Math.max(0, parts - 1) + 2;
  const getsPerBackup = input.validate === false ? 0 : input.objectsPerBackup;
  const storedGb = (kept * input.backupBytes) / GB;
  const noncurrentGb = (noncurrentBackups * input.backupBytes) / GB;
  const lines: CostLine[] = [
    { item: `storage of ${kept} kept backup(s)`, quantity: storedGb, unit: "GB-month", unitPrice: prices.storagePerGbMonth, monthly: storedGb * prices.storagePerGbMonth },
    { item: "noncurrent versions after prune", quantity: noncurrentGb, unit: "GB-month", unitPrice: prices.storagePerGbMonth, monthly: noncurrentGb * prices.storagePerGbMonth },
    { item: "PUT requests (objects, parts, lock)", quantity: perMonth * putsPerBackup, unit: "requests", unitPrice: prices.putPer1000 / 1000, monthly: (perMonth * putsPerBackup * prices.putPer1000) / 1000 },
    { item: "GET requests (validation)", quantity: perMonth * getsPerBackup, unit: "requests", unitPrice: prices.getPer1000 / 1000, monthly: (perMonth * getsPerBackup * prices.getPer1000) / 1000 },
    { item: "transfer EC2 → S3, same region", quantity: (perMonth * input.backupBytes) / GB, unit: "GB", unitPrice: 0, monthly: 0 },
  ];
  return {
    region: input.region,
    prices,
    pricesFrom,
    keptBackups: kept,
    lines,
    monthlyTotal: lines.reduce((n, l) => n + l.monthly, 0),
    restoreOutsideAws: (input.backupBytes / GB) * prices.egressPerGb,
  };
}

/**
 * How many backups `prune` keeps once the history is long enough, at `perDay` backups a day (simulated over
 * enough days for every rule to fill).
 */
export function steadyStateKept(rules: RetentionRules, perDay: number): number {
  const days = Math.max(60, rules.keepDaily + 1, rules.keepWeekly * 7 + 7, rules.keepMonthly * 31 + 31, (rules.keepWithinDays ?? 0) + 1, Math.ceil(rules.keepLast / perDay) + 1);
  const count = Math.min(50_000, Math.ceil(days * perDay));
  const step = 86_400_000 / perDay;
  const end = Date.UTC(2030, 0, 1);
  const history = Array.from({ length: count }, (_, i) => {
    const time = new Date(end - (count - 1 - i) * step);
    return { backupId: String(i).padStart(6, "0"), time, status: "completed" as const, isLatest: i === count - 1, bytes: 1 };
  });
  return selectForPrune(history, { ...rules, minSizeRatio: 0 }, { now: new Date(end), leaseMs: 0, otherRunActive: false }).keep.length;
}

/**
 * Reads a price override: a JSON object with any of `storagePerGbMonth`, `putPer1000`, `getPer1000`, `egressPerGb`.
 * @throws ConfigError for another shape.
 */
export function parsePrices(text: string, source: string): Partial<S3Prices> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${source} is not valid JSON.`, { cause: err });
  }
  const keys = ["storagePerGbMonth", "putPer1000", "getPer1000", "egressPerGb"] as const;
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw new ConfigError(`${source} must hold a JSON object with ${keys.join(", ")}.`);
  const out: Partial<S3Prices> = {};
  for (const [k, v] of Object.entries(json)) {
    if (!(keys as readonly string[]).includes(k)) throw new ConfigError(`${source}: unknown price '${k}' (expected ${keys.join(", ")}).`);
    if (typeof v !== "number" || !(v >= 0)) throw new ConfigError(`${source}: '${k}' must be a number of USD, 0 or more.`);
    out[k as keyof S3Prices] = v;
  }
  return out;
}
