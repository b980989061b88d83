/**
 * How tests read the coordinates of the running test services (`.cache/services/env`, loaded into the
 * environment by `npm test`). A missing coordinate is a failure, never a skip.
 */

/** The value of service coordinate `name`; throws when it is not set. */
export function serviceEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`service coordinate ${name} missing: run \`npm run services -- start\``);
  }
  return value;
}
