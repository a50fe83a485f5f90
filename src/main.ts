import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import { createApp } from './app.factory';
import { signDemoToken } from './auth/demo-token';
import { AppConfig } from './config/app-config';
import { ConfigError, loadAppConfigFromProcess } from './config/load-config';

function readConfig(): AppConfig {
  try {
    return loadAppConfigFromProcess();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`aura: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** In demo mode, print what is needed to try the service in one minute. */
function printDemoBanner(config: AppConfig, token: string): void {
  const base = `http://localhost:${config.http.port}`;
  const lines = [
    '',
    'Aura demo is running' + (config.auth.secretGenerated ? ' (JWT_SECRET generated for this process)' : ''),
    `  Swagger:  ${base}/docs`,
    `  Token:    ${token}`,
    `  Stream:   curl -N -H "Authorization: Bearer ${token}" -H "X-Tenant-ID: demo" "${base}/aura/test/stream?sessionId=demo-1"`,
    `  Approve:  curl -X POST -H "Authorization: Bearer ${token}" -H "X-Tenant-ID: demo" ${base}/aura/hitl/approve/<requestId>`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await createApp(config);
  // Bounded shutdown: whatever hangs, the process is gone within the grace period.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.shutdownGraceMs).unref());
  }
  await app.listen(config.http.port);
  if (config.demo && config.auth.secretGenerated) {
    const token = signDemoToken(app.get(JwtService));
    printDemoBanner(config, token);
  }
}

void bootstrap();
