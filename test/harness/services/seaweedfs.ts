/**
 * SeaweedFS `weed mini` (master, volume, filer and S3 in one process), the second, independent S3
 * implementation: atomic conditional writes and SSE-S3. Built from the Go module proxy at a pinned
 * pseudo-version; that module's go.mod has a `replace` line, so it is built from a wrapper module that repeats
 * it (see `ensureGoBinary`). Every listener gets its own free loopback port; extras (admin UI, WebDAV,
 * Iceberg, Lance, telemetry) are off. S3 credentials come from an identities file in the state folder.
 * Writes S3B_ENDPOINT, S3B_ACCESS_KEY, S3B_SECRET_KEY, S3B_BUCKET, S3B_REGION.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureGoBinary } from "../install.ts";
import { ensureDir } from "../process.ts";
import { S3_REGION, ensureVersionedBucket, s3Client, s3Credentials, s3Ready } from "../s3-setup.ts";
import type { HarnessContext, TestService } from "../service.ts";

/** Pinned SeaweedFS version (the newest one the Go module proxy serves here). */
export const SEAWEEDFS_VERSION = "v0.0.0-20261109003541-7506e5f91cd6";
const bucket = "stackvault-test-b";
const ports = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc"];

const seaweedfs: TestService = {
  name: "seaweedfs",
  stopTimeoutMs: 20_000,
  async install(ctx) {
    await binary(ctx);
  },
  async start(ctx) {
    const executable = await binary(ctx);
    const credentials = s3Credentials(ctx.stateDir);
    const identities = path.join(ctx.stateDir, "s3-identities.json");
    const identity = { name: "stackvault", credentials: [credentials], actions: ["Admin", "Read", "Write", "List", "Tagging"] };
    writeFileSync(identities, JSON.stringify({ identities: [identity] }), { mode: 0o600 });
    const assigned = new Map<string, number>();
    for (const flag of ports) assigned.set(flag, await uniquePort(ctx, assigned));
    const args = [
      "mini",
      `-dir=${freshDir(path.join(ctx.stateDir, "data"))}`,
      "-ip=127.0.0.1",
      "-ip.bind=127.0.0.1",
      ...[...assigned].map(([flag, port]) => `-${flag}=${port}`),
      "-admin.port.legacy=0",
      "-admin.ui=false",
      "-webdav=false",
      "-s3.port.iceberg=0",
      "-s3.port.lance=0",
      "-master.telemetry=false",
      `-s3.config=${identities}`,
    ];
    const pid = await ctx.spawn(executable, args, { cwd: ctx.stateDir });
    const endpoint = `http://127.0.0.1:${assigned.get("s3.port")}`;
    const client = s3Client(endpoint, credentials);
    try {
      await ctx.waitFor("seaweedfs ListBuckets", () => s3Ready(client), 90_000);
      await ctx.waitFor("seaweedfs versioned bucket", () => ensureVersionedBucket(client, bucket).then(() => true), 30_000);
    } finally {
      client.destroy();
    }
    return {
      env: {
        S3B_ENDPOINT: endpoint,
        S3B_ACCESS_KEY: credentials.accessKey,
        S3B_SECRET_KEY: credentials.secretKey,
        S3B_BUCKET: bucket,
        S3B_REGION: S3_REGION,
      },
      pids: [pid],
      logs: [ctx.logFile],
    };
  },
};
export default seaweedfs;

// --- internal ---

async function uniquePort(ctx: HarnessContext, taken: Map<string, number>): Promise<number> {
  for (;;) {
    const port = await ctx.freePort();
    if (![...taken.values()].includes(port)) return port;
  }
}

function binary(ctx: HarnessContext): Promise<string> {
  return ensureGoBinary(
    {
      package: "github.com/seaweedfs/seaweedfs/weed",
      version: SEAWEEDFS_VERSION,
      binary: "weed",
      binDir: path.join(ctx.cacheDir, `seaweedfs-${SEAWEEDFS_VERSION}`),
      logFile: path.join(ctx.cacheDir, "logs", `seaweedfs-${SEAWEEDFS_VERSION}-build.log`),
      wrapper: {
        module: "github.com/seaweedfs/seaweedfs",
        goVersion: "1.26.6",
        replace: ["github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0"],
      },
    },
    ctx.log,
  );
}

/**
 * The data folder, emptied first. `weed mini` names its master's state folder after the master port, which is
 * new at every start, so on a second start the master rebuilt its state under a new cluster id, the volume
 * server still reported the old one, and SeaweedFS froze volume growth: every write to a new collection then
 * failed with "no writable volumes". The test data is not meant to outlive a stop.
 */
function freshDir(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  return ensureDir(dir);
}
