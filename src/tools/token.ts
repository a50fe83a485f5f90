import { parseArgs } from 'node:util';
import { JwtService } from '@nestjs/jwt';
import { WORKER_SCOPE } from '../auth/jwt.strategy';
import { ConfigError, loadAppConfigFromProcess } from '../config/load-config';

/**
 * `npm run token -- --sub alice --tenant acme [--ttl 3600]`: prints an HS256 token signed with the
 * configured JWT_SECRET, for trying the service from Swagger or curl. `--worker` prints a worker's
 * token instead (scope `aura:worker`, no tenant; `--sub` defaults to `worker`).
 */
const USAGE = `Usage: npm run --silent token -- [--sub USER] [--tenant TENANT] [--ttl SECONDS] [--worker]

Prints an HS256 token signed with JWT_SECRET (from the environment or ./.env).
  --sub USER        the token's sub (default demo-user; worker with --worker)
  --tenant TENANT   the token's tenant_id (default demo)
  --ttl SECONDS     lifetime in seconds (default 3600)
  --worker          a worker's token: scope aura:worker, no tenant (for AGENT=worker)
  -h, --help        this text
`;

function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      tenant: { type: 'string', default: 'demo' },
      ttl: { type: 'string', default: '3600' },
      worker: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new ConfigError('--ttl must be a positive whole number of seconds');
  const config = loadAppConfigFromProcess();
  if (config.auth.secretGenerated) throw new ConfigError('JWT_SECRET is not set: a token needs the secret the service uses');
  const claims = values.worker ? { sub: values.sub ?? 'worker', scope: WORKER_SCOPE } : { sub: values.sub ?? 'demo-user', tenant_id: values.tenant };
  const token = new JwtService({ secret: config.auth.jwtSecret }).sign(claims, { algorithm: 'HS256', expiresIn: ttl });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (err) {
  // parseArgs' own errors (an unknown option, a missing value) come with where to look.
  const hint = err instanceof TypeError ? ' (--help lists the options)' : '';
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}${hint}\n`);
  process.exit(1);
}
