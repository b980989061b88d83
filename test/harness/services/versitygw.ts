/**
 * versitygw (S3 gateway over a POSIX folder), built from the Go module proxy at a pinned tag, run with a
 * versioning folder so the bucket can be versioned. Root credentials are passed in the environment, never
 * in argv. Writes S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_REGION.
 */
import path from "node:path";
import { ensureGoBinary } from "../install.ts";
import { ensureDir } from "../process.ts";
import { S3_REGION, ensureVersionedBucket, s3Client, s3Credentials, s3Ready } from "../s3-setup.ts";
import type { HarnessContext, TestService } from "../service.ts";

/** Pinned versitygw release. */
export const VERSITYGW_VERSION = "v1.7.0";
const bucket = "stackvault-test";

const versitygw: TestService = {
  name: "versitygw",
  stopTimeoutMs: 15_000,
  async install(ctx) {
    await binary(ctx);
  },
  async start(ctx) {
    const executable = await binary(ctx);
    const credentials = s3Credentials(ctx.stateDir);
    const port = await ctx.freePort();
    const data = ensureDir(path.join(ctx.stateDir, "data"));
    const versions = ensureDir(path.join(ctx.stateDir, "versions"));
    const env = { ...process.env, ROOT_ACCESS_KEY_ID: credentials.accessKey, ROOT_SECRET_ACCESS_KEY: credentials.secretKey };
    const pid = await ctx.spawn(executable, ["--port", `127.0.0.1:${port}`, "posix", "--versioning-dir", versions, data], { env });
    const endpoint = `http://127.0.0.1:${port}`;
    const client = s3Client(endpoint, credentials);
    try {
      await ctx.waitFor("versitygw ListBuckets", () => s3Ready(client), 30_000);
      await ensureVersionedBucket(client, bucket);
    } finally {
      client.destroy();
    }
    return {
      env: {
        S3_ENDPOINT: endpoint,
        S3_ACCESS_KEY: credentials.accessKey,
        S3_SECRET_KEY: credentials.secretKey,
        S3_BUCKET: bucket,
        S3_REGION,
      },
      pids: [pid],
      logs: [ctx.logFile],
    };
  },
};
export default versitygw;

// --- internal ---

function binary(ctx: HarnessContext): Promise<string> {
  const binDir = path.join(ctx.cacheDir, `versitygw-${VERSITYGW_VERSION}`);
  return ensureGoBinary(
    {
      package: "github.com/versity/versitygw/cmd/versitygw",
      version: VERSITYGW_VERSION,
      binary: "versitygw",
      binDir,
      logFile: path.join(ctx.cacheDir, "logs", `versitygw-${VERSITYGW_VERSION}-build.log`),
    },
    ctx.log,
  );
}
