export const isoNow = (ms = Date.now()): string => new Date(ms).toISOString();
