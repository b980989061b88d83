/**
 * Types of the two neo4j-driver internal modules that `temporal-hydration.ts` replaces functions in (CommonJS
 * modules without declarations of their own; the default import is the module's `exports` object).
 */
declare module "neo4j-driver-core/lib/integer.js" {
  const integerModule: { default: unknown; int: unknown };
  export default integerModule;
}

declare module "neo4j-driver-bolt-connection/lib/bolt/temporal-factory.js" {
  const temporalFactory: Record<"epochDayToDate" | "nanoOfDayToLocalTime" | "epochSecondAndNanoToLocalDateTime", unknown>;
  export default temporalFactory;
}

declare module "neo4j-driver-bolt-connection/lib/channel/channel-buf.js" {
  /** The driver's buffer over one Node buffer (`record-text.ts` gives the driver's unpacker one). */
  const channelBufferModule: { default: new (buffer: Buffer) => unknown };
  export default channelBufferModule;
}
