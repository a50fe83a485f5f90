import { parseArgs } from 'node:util';
import { JwtService } from '@nestjs/jwt';
import { WORKER_SCOPE } from '../auth/jwt.strategy';
import { ConfigError, loadAppConfigFromProcess } from '../config/load-config';

/**
 * `npm run token -- --sub alice --tenant acme [--ttl 3600]`: prints an HS256 token signed with the
 * configured JWT_SECRET, for trying the service from Swagger or curl. `--worker` prints a worker's
 * token instead (scope `aura:worker`, no tenant; `--sub` defaults to `worker`).
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      tenant: { type: 'string', default: 'demo' },
      ttl: { type: 'string', default: '3600' },
      worker: { type: 'boolean', default: false },
    },
  });
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
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
