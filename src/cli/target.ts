/** Opens the target the configuration names, with the S3 settings the config carries. */
import { requireSetting } from "../config/require.ts";
import type { Config } from "../config/schema.ts";
import { openTarget } from "../targets/registry.ts";
import type { TargetSettings } from "../targets/registry.ts";
import type { Target } from "../targets/target.ts";

const MIB = 1024 * 1024;

/** The target settings for `config` (S3 region, endpoint, encryption, part size…). */
export function targetSettings(config: Config): TargetSettings {
  const s3 = config.s3;
  return {
    s3: {
      region: config.region,
      ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
      ...(s3.forcePathStyle === undefined ? {} : { forcePathStyle: s3.forcePathStyle }),
      ...(s3.sse === "none" ? {} : { sse: s3.sse }),
      ...(s3.kmsKeyId === undefined ? {} : { kmsKeyId: s3.kmsKeyId }),
      partSize: s3.partSizeMib * MIB,
      queueSize: s3.queueSize,
      requestTimeoutMs: s3.requestTimeout * 1000,
    },
  };
}

/**
 * Opens `config.target` (`--target`/`--bucket`). Whether a `file://` folder is writable or a bucket reachable is
 * for the target to report on first use.
 * @throws ConfigError when no target is configured or the target layer refuses it.
 */
export async function openConfiguredTarget(config: Config, command: string): Promise<Target> {
  return openTarget(requireSetting(config, "target", command), targetSettings(config));
}
