/** `metadata.json`: schema and format version, write, read, verify. */
export * from "./schema.ts";
export * from "./parse.ts";
export * from "./io.ts";
export * from "./artifacts.ts";
export * from "./verify.ts";
