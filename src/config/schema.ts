/**
 * The one configuration schema. Every setting has a config-file key (its dotted path), a command-line flag and
 * a `STACKVAULT_…` variable, all derived from this schema by `settings.ts`; the README's table is generated from
 * the same place. Defaults describe the KnowWhere stack, so the seed's commands work with only `--stack` and
 * `--bucket`.
 *
 * Field metadata (`.meta`): `description` (help text), `flag` (overrides the flag derived from the path),
 * `groups` (which commands offer the flag; see `SettingGroup`).
 */
import * as z from "zod";
import { COLLECTION_NAME, isValidBucketName, isValidStackName, isValidTarget } from "./names.ts";

/** Which commands offer a setting as a flag (every setting is also readable from the file and env). */
export type SettingGroup = "stack" | "target" | "host" | "stores" | "backup" | "services" | "retention" | "lock" | "notify";

const stackName = z
  .string()
  .refine(isValidStackName, "expected a stack name of letters, digits, '.', '_' or '-' (no '/', no '..', at most 128 characters)");
const bucketName = z
  .string()
  .refine(isValidBucketName, "expected an S3 bucket name: 3-63 lowercase letters, digits, '.' or '-', starting and ending with a letter or digit");
const target = z
  .string()
  .refine(isValidTarget, "expected s3://BUCKET[/prefix] or file:///absolute/dir");
const url = (schemes: string[]) =>
  z.string().refine((v) => schemes.some((s) => v.startsWith(`${s}://`)) && URL.canParse(v), `expected a URL starting with ${schemes.map((s) => `${s}://`).join(" or ")}`);
const seconds = z.number().int().positive();
/** A command as an argument vector: the program, then its arguments. */
const argv = z.array(z.string()).min(1, "expected a program and its arguments");

/** Store connections used in direct mode and by the host-side run. */
const neo4j = z.strictObject({
  /** Bolt URI of the Neo4j server. @default "bolt://localhost:7687" */
  uri: url(["bolt", "neo4j", "bolt+s", "neo4j+s", "bolt+ssc", "neo4j+ssc"]).default("bolt://localhost:7687").meta({ description: "Neo4j Bolt URI", groups: ["stores"] }),
  /** Neo4j user. @default "neo4j" */
  user: z.string().min(1).default("neo4j").meta({ description: "Neo4j user", groups: ["stores"] }),
  /** Database to back up and restore. @default "neo4j" */
  database: z.string().min(1).default("neo4j").meta({ description: "Neo4j database", groups: ["stores"] }),
  /** Export method: a portable Cypher script via the driver, APOC's streamed export, or `neo4j-admin` dump. @default "cypher" */
  method: z.enum(["cypher", "apoc", "dump"]).default("cypher").meta({ description: "Neo4j export method", groups: ["backup"] }),
  /** File holding the Neo4j password (alternative to the NEO4J_PASSWORD variable). @default undefined */
  passwordFile: z.string().min(1).optional().meta({ description: "file holding the Neo4j password (or set NEO4J_PASSWORD)", groups: ["stores"] }),
});

const qdrant = z.strictObject({
  /** Qdrant HTTP URL. @default "http://localhost:6333" */
  url: url(["http", "https"]).default("http://localhost:6333").meta({ description: "Qdrant HTTP URL", groups: ["stores"] }),
  /**
   * Collections to back up; empty means every collection the server has, so a collection added later is never
   * forgotten (a missing KnowWhere collection is reported as a warning). @default []
   */
  collections: z.array(z.string().regex(COLLECTION_NAME, "expected collection names of letters, digits, '-', '_' or '.' (not starting with '.', no '..')")).default([]).meta({ description: "Qdrant collections to back up, comma-separated (default: every collection on the server)", groups: ["backup"] }),
  /** File holding the Qdrant API key (alternative to the QDRANT_API_KEY variable). @default undefined */
  apiKeyFile: z.string().min(1).optional().meta({ description: "file holding the Qdrant API key (or set QDRANT_API_KEY)", groups: ["stores"] }),
});

const redis = z.strictObject({
  /** Redis URL (a password inside the URL is accepted and redacted). @default "redis://localhost:6379" */
  url: url(["redis", "rediss"]).default("redis://localhost:6379").meta({ description: "Redis URL", groups: ["stores"] }),
  /** Restore into the running server (`live`) or replace `dump.rdb` on the host and restart Redis (`file`). @default "live" */
  restoreMode: z.enum(["live", "file"]).default("live").meta({ description: "Redis restore mode", groups: ["stores"] }),
  /** File holding the Redis password (alternative to REDIS_PASSWORD or a password in the URL). @default undefined */
  passwordFile: z.string().min(1).optional().meta({ description: "file holding the Redis password (or set REDIS_PASSWORD)", groups: ["stores"] }),
  /** Databases to count and restore (cache databases left out); empty means every database. The RDB stays whole. @default [] */
  dbs: z.array(z.coerce.number<unknown>().int("expected database numbers").min(0).max(65535)).default([]).meta({ description: "Redis databases to back up and restore, comma-separated (default: all)", groups: ["stores"] }),
  /** PEM file of the CA that signed the rediss:// server's certificate; unset trusts the system's CAs. @default undefined */
  tlsCaFile: z.string().min(1).optional().meta({ description: "CA file for a rediss:// server's certificate", flag: "redis-tls-ca-file", groups: ["stores"] }),
  /** Redis's data directory on the host for the file restore mode, when `CONFIG GET dir` is a path inside a container. @default undefined */
  dataDir: z.string().min(1).optional().meta({ description: "Redis data directory on the host (file restore mode; default: the server's dir)", flag: "redis-data-dir", groups: ["stores"] }),
});

const s3 = z.strictObject({
  /** Endpoint of an S3-compatible server; unset means AWS. @default undefined */
  endpoint: url(["http", "https"]).optional().meta({ description: "S3 endpoint URL (S3-compatible servers)", groups: ["target"] }),
  /** Path-style addressing (`endpoint/bucket/key`). @default true with a custom endpoint, else false */
  forcePathStyle: z.boolean().optional().meta({ description: "use path-style S3 addressing (default: on with --s3-endpoint)", groups: ["target"] }),
  /** Server-side encryption of every object. @default "AES256" */
  sse: z.enum(["AES256", "aws:kms", "none"]).default("AES256").meta({ description: "server-side encryption", groups: ["target"] }),
  /** KMS key id or ARN when `sse` is `aws:kms`; unset means the bucket's default key. @default undefined */
  kmsKeyId: z.string().min(1).optional().meta({ description: "KMS key for aws:kms encryption", groups: ["target"] }),
  /** Multipart part size in MiB; each upload holds `(queueSize + 1) × partSizeMib` of part buffers. @default 8 */
  partSizeMib: z.number().int().min(5).max(5120).default(8).meta({ description: "multipart part size in MiB", groups: ["target"] }),
  /** Parts uploaded concurrently per object. @default 4 */
  queueSize: z.number().int().min(1).max(64).default(4).meta({ description: "parts uploaded concurrently", groups: ["target"] }),
  /** Seconds an S3 request may go without sending or receiving a byte before it is abandoned and retried. @default 60 */
  requestTimeout: seconds.default(60).meta({ description: "seconds of silence after which an S3 request is abandoned and retried", groups: ["target"] }),
});

const services = z.strictObject({
  /** How services are stopped and started on the host. @default "compose" */
  controller: z.enum(["compose", "systemd", "command", "none"]).default("compose").meta({ description: "service controller", groups: ["services"] }),
  /** The docker CLI on the host for the compose controller (a path, or a name found on the host's PATH). @default "docker" */
  docker: z.string().min(1).default("docker").meta({ description: "docker CLI on the host (compose controller)", flag: "docker", groups: ["services"] }),
  /** Docker Compose project name. @default "knowbase" */
  composeProject: z.string().min(1).default("knowbase").meta({ description: "Docker Compose project", flag: "compose-project", groups: ["services"] }),
  /** The RQ worker service, stopped during backup and restore. @default "worker" */
  worker: z.string().min(1).default("worker").meta({ description: "worker service name", flag: "worker-service", groups: ["services"] }),
  /** The Redis service, stopped and started by the file restore mode. @default "redis" */
  redis: z.string().min(1).default("redis").meta({ description: "Redis service name (file restore mode)", flag: "redis-service", groups: ["services"] }),
  /** The application service, stopped during restore. @default "app" */
  app: z.string().min(1).default("app").meta({ description: "app service name", flag: "app-service", groups: ["services"] }),
  /** Also stop `app` during backup (it is always stopped during restore). @default false */
  stopAppOnBackup: z.boolean().default(false).meta({ description: "also stop the app during backup", flag: "stop-app", groups: ["services"] }),
  /** Seconds the RQ worker gets to finish running jobs (warm shutdown). @default 60 */
  warmStopTimeout: seconds.default(60).meta({ description: "seconds for the worker's warm shutdown", flag: "warm-stop-timeout", groups: ["services"] }),
  /**
   * Commands of the `command` controller, per service name: argument vectors (no shell) that start, stop (blocking
   * until the service stopped) and probe (exit 0 when it runs) the service. @default undefined
   */
  commands: z
    .record(z.string().min(1), z.strictObject({ start: argv, stop: argv, status: argv }))
    .optional()
    .meta({ description: "start, stop and status commands per service for --services-controller command (JSON object)", flag: "service-commands", groups: ["services"] }),
  /** App health URL checked after a restore; unset skips the check. @default undefined */
  healthUrl: url(["http", "https"]).optional().meta({ description: "app health URL checked after restore", flag: "health-url", groups: ["services"] }),
});

const skip = z.strictObject({
  /** Leave Neo4j out. @default false */
  neo4j: z.boolean().default(false).meta({ description: "leave Neo4j out", groups: ["backup", "stores"] }),
  /** Leave Qdrant out. @default false */
  qdrant: z.boolean().default(false).meta({ description: "leave Qdrant out", groups: ["backup", "stores"] }),
  /** Leave Redis out. @default false */
  redis: z.boolean().default(false).meta({ description: "leave Redis out", groups: ["backup", "stores"] }),
});

const retention = z.strictObject({
  /** Always keep this many newest verified backups. @default 7 */
  keepLast: z.number().int().min(1).default(7).meta({ description: "keep the newest N verified backups", flag: "keep-last", groups: ["retention"] }),
  /** Keep the newest backup of each of the last N days. @default 7 */
  keepDaily: z.number().int().min(0).default(7).meta({ description: "keep one backup per day for N days", flag: "keep-daily", groups: ["retention"] }),
  /** Keep the newest backup of each of the last N weeks. @default 4 */
  keepWeekly: z.number().int().min(0).default(4).meta({ description: "keep one backup per week for N weeks", flag: "keep-weekly", groups: ["retention"] }),
  /** Keep the newest backup of each of the last N months. @default 6 */
  keepMonthly: z.number().int().min(0).default(6).meta({ description: "keep one backup per month for N months", flag: "keep-monthly", groups: ["retention"] }),
  /** Refuse to prune when the newest backup is smaller than this fraction of the previous one. @default 0.5 */
  minSizeRatio: z.number().min(0).max(1).default(0.5).meta({ description: "refuse when the newest backup shrank below this ratio", flag: "min-size-ratio", groups: ["retention"] }),
});

const notify = z.strictObject({
  /** SNS topic told about every backup and restore, success or failure; unset sends nothing. @default undefined */
  snsTopic: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, "expected an SNS topic ARN such as arn:aws:sns:eu-west-1:123456789012:backups")
    .optional()
    .meta({ description: "SNS topic ARN notified of every backup and restore", flag: "sns-topic", groups: ["notify"] }),
  /** CloudWatch namespace for run metrics (duration, bytes, counts, success, age of latest); unset sends none. @default undefined */
  metricsNamespace: z.string().regex(/^[A-Za-z0-9._/#:-]{1,255}$/, "expected a CloudWatch namespace such as Stackvault").optional().meta({ description: "CloudWatch namespace for run metrics (unset: no metrics)", flag: "metrics-namespace", groups: ["notify"] }),
});

const ssh = z.strictObject({
  /** SSH user for hosts found from a CloudFormation stack (`stack deploy`, `stack destroy`); an explicit `--host` names its own. @default "ec2-user" */
  user: z.string().regex(/^[a-z_][a-z0-9_.-]{0,31}$/i, "expected a user name such as ec2-user").default("ec2-user").meta({ description: "SSH user on hosts found from a stack", flag: "ssh-user", groups: ["host"] }),
  /** Private key file for `--host ssh://…`; unset uses the SSH agent. @default undefined */
  identityFile: z.string().min(1).optional().meta({ description: "SSH private key file (default: the agent)", flag: "ssh-key", groups: ["host"] }),
  /** known_hosts file holding the host's pinned key. @default "~/.ssh/known_hosts" */
  knownHosts: z.string().min(1).default("~/.ssh/known_hosts").meta({ description: "known_hosts file with the pinned host key", flag: "known-hosts", groups: ["host"] }),
  /** Accept and pin an unknown host key on first connection. @default false */
  acceptNewHostKey: z.boolean().default(false).meta({ description: "accept and pin an unknown host key", flag: "accept-new-host-key", groups: ["host"] }),
});

/** Remote runs (`--host`): what the host-side run needs on the host. */
const remote = z.strictObject({
  /** Node.js binary on the host that runs the agent bundle (22 or newer). @default "node" */
  node: z.string().min(1).default("node").meta({ description: "Node.js binary on the host for --host runs (22 or newer)", flag: "host-node", groups: ["host"] }),
  /** Folder on the host where the agent bundle is kept, one file per version (`~` is the remote user's home). @default "~/.cache/stackvault" */
  cacheDir: z.string().min(1).default("~/.cache/stackvault").meta({ description: "folder on the host for the agent bundle", flag: "host-cache-dir", groups: ["host"] }),
  /**
   * When the host has no Node.js 22+, run the agent in a throw-away `node:22` container on the compose network
   * (pulls the image); off, such a host is an error instead. @default true
   */
  containerFallback: z.boolean().default(true).meta({ description: "run the agent in a node:22 container when the host has no Node.js 22+", flag: "container-fallback", groups: ["host"] }),
});

/** The whole configuration (before secrets are resolved). */
export const configSchema = z.strictObject({
  /** Stack name (the CloudFormation stack); names the backup folder `stacks/{stack}/`. @default undefined */
  stack: stackName.optional().meta({ description: "stack name", groups: ["stack"] }),
  /** Where backups live: `s3://BUCKET[/prefix]` or `file:///dir`. @default undefined */
  target: target.optional().meta({ description: "backup target: s3://BUCKET[/prefix] or file:///dir", groups: ["target"] }),
  /** S3 bucket: the seed's spelling of `target: s3://BUCKET`. @default undefined */
  bucket: bucketName.optional().meta({ description: "S3 bucket (same as --target s3://BUCKET)", groups: ["target"] }),
  /** AWS region. @default "eu-west-1" */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "expected an AWS region such as eu-west-1").default("eu-west-1").meta({ description: "AWS region", groups: ["target"] }),
  /** Where the data plane runs: `ssh://user@addr[:port]` or `ssm://i-…`; unset means in this process. @default undefined */
  host: z.string().refine((v) => /^ssh:\/\/[^\s/]+$/.test(v) || /^ssm:\/\/i-[0-9a-f]{8,17}$/.test(v), "expected ssh://user@addr[:port] or ssm://i-…").optional().meta({ description: "run on this host: ssh://user@addr[:port] or ssm://i-…", groups: ["host"] }),
  /** Run the data plane in this process and reach the stores by URL. @default false */
  direct: z.boolean().default(false).meta({ description: "run in this process, stores reached by URL", groups: ["host"] }),
  /** Compression of dumps and snapshots. @default "zstd" */
  compression: z.enum(["zstd", "gzip", "none"]).default("zstd").meta({ description: "compression of dumps and snapshots", groups: ["backup"] }),
  /** Compression level (zstd 1-19, gzip 1-9). @default 3 */
  compressionLevel: z.number().int().min(1).max(19).default(3).meta({ description: "compression level", groups: ["backup"] }),
  /** Re-read every object and check its sha256 before moving `latest`. @default true */
  validate: z.boolean().default(true).meta({ description: "re-read and check every object after upload", groups: ["backup"] }),
  skip: skip.prefault({}),
  neo4j: neo4j.prefault({}),
  qdrant: qdrant.prefault({}),
  redis: redis.prefault({}),
  s3: s3.prefault({}),
  services: services.prefault({}),
  retention: retention.prefault({}),
  ssh: ssh.prefault({}),
  remote: remote.prefault({}),
  notify: notify.prefault({}),
  lock: z.strictObject({
    /** Seconds a run's stack lock stays valid without renewal; an expired lock is taken over and reported. @default 900 */
    leaseSeconds: seconds.default(900).meta({ description: "stack lock lease in seconds", flag: "lock-lease", groups: ["lock"] }),
  }).prefault({}),
});

/** The parsed configuration before secrets (defaults applied). */
export type ConfigValues = z.infer<typeof configSchema>;

/** Secrets resolved from the environment or files; never part of the config file and never printed. */
export interface Secrets {
  /** From NEO4J_PASSWORD, NEO4J_PASSWORD_FILE or `neo4j.passwordFile`. */
  neo4jPassword?: string;
  /** From QDRANT_API_KEY, QDRANT_API_KEY_FILE or `qdrant.apiKeyFile`. */
  qdrantApiKey?: string;
  /** From REDIS_PASSWORD, REDIS_PASSWORD_FILE or `redis.passwordFile` (a password in the URL also works). */
  redisPassword?: string;
}

/** The frozen configuration every command receives. */
export type Config = DeepReadonly<ConfigValues & { secrets: Secrets; sources: Readonly<Record<string, string>> }>;

/** Readonly all the way down. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
