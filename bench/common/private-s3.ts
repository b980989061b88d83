/**
 * A private S3 server for a benchmark's S3 rows: the test harness's versitygw (same pinned build, started by the
 * harness's own service definition) with its data folder in memory (`/dev/shm` where there is one), on a free
 * loopback port, stopped and removed by `stop()`.
 *
 * Why: on the test services' versitygw, which stores on disk, the server's own CPU for the same 1 GiB upload
 * varied from 3.0 to 5.6 s from one upload to the next, whichever client sent it, as the kernel wrote its pages
 * back. That server shares the two cores with the client being measured, so the S3 ratios swung by ±0.3. In
 * memory the server does the same work for both sides without the writeback. (A real S3 endpoint's disks are not
 * on the client's machine either.)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createContext } from "../../test/harness/context.ts";
import { recordOf, stopProcesses } from "../../test/harness/process.ts";
import versitygw from "../../test/harness/services/versitygw.ts";
import { harnessPaths } from "../../test/harness/state.ts";
import type { BenchS3 } from "./s3-bucket.ts";

export interface PrivateS3 extends Omit<BenchS3, "bucket"> {
  /** Where its objects live (a folder in memory, or the system's temporary folder when there is no /dev/shm). */
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts the private server; installs nothing new when the harness has built versitygw already. */
export async function startPrivateS3(log: (message: string) => void): Promise<PrivateS3> {
  const parent = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
  const dir = mkdtempSync(path.join(parent, "stackvault-bench-s3-"));
  const { ctx } = createContext({ ...harnessPaths(), servicesDir: dir }, "versitygw", {}, new AbortController().signal, log);
  let pids: number[] = [];
  const stop = async (): Promise<void> => {
    await stopProcesses(pids.map(recordOf), 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await versitygw.start(ctx);
    pids = started.pids;
    const { S3_ENDPOINT: endpoint, S3_ACCESS_KEY: accessKey, S3_SECRET_KEY: secretKey } = started.env;
    if (!endpoint || !accessKey || !secretKey) throw new Error("versitygw started without S3 coordinates");
    return { endpoint, accessKey, secretKey, dataDir: ctx.stateDir, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
