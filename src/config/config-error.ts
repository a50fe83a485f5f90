/** A configuration the service cannot start with; main.ts prints its one-line message and exits 1. */
export class ConfigError extends Error {}
