import { parseArgs } from 'node:util';
import { JwtService } from '@nestjs/jwt';
import { ConfigError, loadAppConfigFromProcess } from '../config/load-config';

/**
 * `npm run token -- --sub alice --tenant acme [--ttl 3600]`: prints an HS256 token signed with the
 * configured JWT_SECRET, for trying the service from Swagger or curl.
 */
function main(): void {
  const { values } = parseArgs({
    options: { sub: { type: 'string', default: 'demo-user' }, tenant: { type: 'string', default: 'demo' }, ttl: { type: 'string', default: '3600' } },
  });
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new ConfigError('--ttl must be a positive whole number of seconds');
  const config = loadAppConfigFromProcess();
  if (config.auth.secretGenerated) throw new ConfigError('JWT_SECRET is not set: a token needs the secret the service uses');
  const token = new JwtService({ secret: config.auth.jwtSecret }).sign({ sub: values.sub, tenant_id: values.tenant }, { algorithm: 'HS256', expiresIn: ttl });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`token: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
