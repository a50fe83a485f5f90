import { parse } from 'dotenv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error';

/**
 * The variables of `.env` in `dir`, or {} when there is none. Parsed only (process.env is not
 * written): the caller lays the real environment over them, so a variable set there always wins.
 */
export function readEnvFile(dir: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(join(dir, '.env'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`Cannot read ${join(dir, '.env')}: ${(err as Error).message}`);
  }
  return parse(text);
}
