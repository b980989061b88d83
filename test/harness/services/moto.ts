/**
 * The AWS API emulator: moto's server (PyPI `moto[server]`, pinned) on a free loopback port. Every AWS API
 * without a real local server (CloudFormation, EC2, SSM, SNS, CloudWatch, KMS, IAM, STS) goes there through
 * AWS_ENDPOINT_URL. Writes AWS_ENDPOINT_URL.
 */
import { harnessPython } from "../python.ts";
import type { TestService } from "../service.ts";

const moto: TestService = {
  name: "moto",
  stopTimeoutMs: 10_000,
  async install(ctx) {
    await harnessPython(ctx.cacheDir, ctx.log);
  },
  async start(ctx) {
    const python = await harnessPython(ctx.cacheDir, ctx.log);
    const port = await ctx.freePort();
    const pid = await ctx.spawn(python, ["-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)], {
      env: { ...process.env, PYTHONUNBUFFERED: "1" },
    });
    const endpoint = `http://127.0.0.1:${port}`;
    await ctx.waitFor("moto API", async () => (await fetch(`${endpoint}/moto-api/data.json`)).ok, 60_000);
    return { env: { AWS_ENDPOINT_URL: endpoint }, pids: [pid], logs: [ctx.logFile] };
  },
};
export default moto;
