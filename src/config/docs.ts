/** The settings table of the README ("Configuration"), generated from the schema so the two never drift. */
import { SECRET_SPECS } from "./secrets.ts";
import { SETTINGS, formatDefault } from "./settings.ts";

/** Markdown table: config-file key, flag, variable, default, description; one row per setting. */
export function settingsTableMarkdown(): string {
  const rows = SETTINGS.map((s) => {
    const flag = s.kind === "boolean" && s.defaultValue === true ? `--no-${s.flag}` : `--${s.flag}`;
    const choices = s.choices === undefined ? "" : ` (${s.choices.join(", ")})`;
    return `| \`${s.key}\` | \`${flag}\` | \`${s.env}\` | ${s.defaultValue === undefined ? "" : `\`${formatDefault(s.defaultValue)}\``} | ${s.description}${choices} |`;
  });
  return ["| Config key | Flag | Variable | Default | Meaning |", "|---|---|---|---|---|", ...rows].join("\n");
}

/** Markdown table of the secrets and where each may come from. */
export function secretsTableMarkdown(): string {
  const rows = SECRET_SPECS.map((s) => {
    const file = SETTINGS.find((x) => x.key === s.fileSetting);
    return `| ${s.vars.map((v) => `\`${v}\``).join(" or ")} | \`${s.fileVar}\`, \`${file?.env ?? ""}\`, \`--${file?.flag ?? ""}\`, \`${s.fileSetting}\` |`;
  });
  return ["| Value from | Or a file named by |", "|---|---|", ...rows].join("\n");
}
