/** Streaming stages between an engine and a target: compress, hash, count; and the verified restore read. */
export * from "./compression.ts";
export * from "./hash.ts";
export * from "./backup.ts";
export * from "./restore.ts";
export * from "./coalesce.ts";
export * from "./block-compressor.ts";
export * from "./zstd-frames.ts";
