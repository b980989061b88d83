// Lint rules, including the import boundaries of DESIGN.md §3: each folder of src/ may import only the
// folders its arrow names. A violation is an error, so `npm test` fails on it.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Which src/ folders each src/ folder may import (besides itself). */
const allowed = {
  core: [],
  config: ["core"],
  engines: ["core", "exec"],
  targets: ["core"],
  pipeline: ["core"],
  manifest: ["core", "targets"],
  exec: ["core"],
  services: ["core", "exec"],
  plans: ["core", "config", "engines", "targets", "pipeline", "manifest", "exec", "services"],
  stack: ["core", "config", "plans", "targets", "exec", "services", "engines", "pipeline", "manifest"],
  remote: ["core", "config", "exec"],
  cli: null,
};
const folders = Object.keys(allowed);

const boundaryBlocks = Object.entries(allowed)
  .filter(([, ok]) => ok !== null)
  .map(([folder, ok]) => {
    const forbidden = folders.filter((f) => f !== folder && !ok.includes(f));
    return {
      files: [`src/${folder}/**/*.ts`],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: forbidden.flatMap((f) => [`../${f}/*`, `../../${f}/*`, `../../../${f}/*`]),
                message: `src/${folder} may import only: ${ok.join(", ") || "nothing outside itself"} (DESIGN.md §3).`,
              },
            ],
          },
        ],
      },
    };
  });

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", ".cache/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", Buffer: "readonly", URL: "readonly", AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly", TextDecoder: "readonly", fetch: "readonly", structuredClone: "readonly", setImmediate: "readonly", queueMicrotask: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-syntax": [
        "error",
        { selector: "CallExpression[callee.property.name=/^(skip|only)$/][callee.object.name=/^(describe|it|test)$/]", message: "Skipped or focused tests are not allowed: a skipped integration test is a failure." },
      ],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/config/**"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "Only cli/ and config/ read process.env (STYLE.md rule 6)." }],
    },
  },
  ...boundaryBlocks,
);
