/**
 * The stackvault library. The CLI is one user of it; scripts can import the same pieces:
 *
 *   import { loadConfig, openTarget, StackvaultError } from "stackvault";
 */
export * from "./core/index.ts";
export * from "./config/index.ts";
export type * from "./targets/target.ts";
export { openTarget, registerTarget, targetSchemes } from "./targets/registry.ts";
export type { TargetFactory, TargetSettings, TargetSpec } from "./targets/registry.ts";
export * from "./pipeline/index.ts";
