/** `stackvault dashboard`: the CloudWatch dashboard and alarms for backups. */
import { Option } from "commander";
import { DEFAULT_METRICS_NAMESPACE } from "../../stack/aws/metrics.ts";
import { putDashboard } from "../../stack/aws/dashboard.ts";
import type { CommandSpec } from "../command.ts";
import { positiveArg } from "./shared.ts";

export const dashboardCommand: CommandSpec = {
  path: ["dashboard"],
  summary: "create the CloudWatch dashboard and alarms for backups",
  description:
    "Creates or updates a CloudWatch dashboard with the stack's backup size, duration, age of the newest verified " +
    "backup (RPO), restore time (RTO) and counts per store, from the metrics backup and restore send with " +
    "--metrics-namespace (default namespace Stackvault); plus an alarm when no backup ran for --max-age-hours and " +
    "one when a backup failed, notified to --sns-topic. Running it again updates both in place.",
  groups: ["stack", "target", "notify"],
  options: () => [new Option("--max-age-hours <n>", "alarm when no backup ran for this many hours, 1-168 (default: 26)").argParser(positiveArg)],
  requires: ["stack"],
  examples: ["stackvault dashboard --stack KnowWhere-Production --region eu-west-1 --sns-topic arn:aws:sns:eu-west-1:715927975014:backups"],
  run: async (ctx, options) => {
    const { config } = ctx;
    const stack = config.stack ?? "";
    const namespace = config.notify.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const result = await putDashboard({
      stack,
      namespace,
      region: config.region,
      ...(typeof options.maxAgeHours === "number" ? { maxAgeHours: options.maxAgeHours } : {}),
      ...(config.notify.snsTopic === undefined ? {} : { snsTopic: config.notify.snsTopic }),
      signal: ctx.signal,
    });
    const text = [
      `Dashboard ${result.dashboard} (namespace ${namespace}): ${result.url}`,
      `Alarms: ${result.alarms.join(", ")}${config.notify.snsTopic ? ` → ${config.notify.snsTopic}` : " (no --sns-topic: they notify nobody)"}`,
      ...(config.notify.metricsNamespace === undefined ? [`Backups send metrics only with --metrics-namespace ${namespace} (or STACKVAULT_METRICS_NAMESPACE).`] : []),
    ].join("\n");
    ctx.render.result({ ...result, namespace }, text);
  },
};
