/**
 * The stackvault library. The CLI is one user of it; scripts can import the same pieces:
 *
 *   import { loadConfig, StackvaultError } from "stackvault";
 */
export * from "./core/index.ts";
export * from "./config/index.ts";
