export * from "./errors.ts";
export * from "./redact.ts";
export * from "./events.ts";
export * from "./format.ts";
