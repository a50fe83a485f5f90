import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { createApp } from './app.factory';
import { signDemoToken } from './auth/demo-token';
import { AppConfig } from './config/app-config';
import { ConfigError, loadAppConfigFromProcess } from './config/load-config';
import { startupSummary } from './config/startup-summary';
import { AppLogger } from './logging/app-logger.service';
import { InstanceId } from './redis/instance-id';

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

/**
 * In demo mode, what is needed to try the service in one minute, as commands that paste into a
 * shell as they are: a new session id on every start (an old one would replay its finished run),
 * and an approve command that looks up the session's pending request itself.
 */
function demoBanner(port: number, token: string, secretGenerated: boolean, sessionId = `demo-${randomUUID().slice(0, 8)}`): string {
  const base = `http://localhost:${port}`;
  const auth = `-H "Authorization: Bearer ${token}" -H "X-Tenant-ID: demo"`;
  // The inbox lists the session's pending request as {"requestId":"…","sessionId":"<session>",…}.
  const findRequest = `curl -s ${auth} "${base}/aura/hitl/requests?status=pending&limit=200" | grep -o '"requestId":"[^"]*","sessionId":"${sessionId}"' | cut -d'"' -f4`;
  return [
    '',
    '──── Aura demo is running' + (secretGenerated ? ' (JWT_SECRET generated for this process)' : '') + ' ────',
    `  Console:  ${base}/console   (the token is filled in)`,
    `  Swagger:  ${base}/docs`,
    `  Token:    ${token}`,
    '',
    '  1. Watch a run (it pauses at the "hitl" event):',
    `curl -N ${auth} "${base}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents"`,
    '',
    '  2. In another terminal, approve it (the command finds its request id):',
    `curl -sS -X POST ${auth} "${base}/aura/hitl/approve/$(${findRequest})"`,
    '',
  ].join('\n');
}

async function bootstrap(): Promise<void> {
  const config = readConfig();
  const app = await createApp(config);
  // Bounded shutdown: whatever hangs, the process is gone within the grace period.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), config.shutdownGraceMs).unref());
  }
  try {
    await app.listen(config.http.port);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    // An operator's mistake, not a bug: one line that says what to change, no stack.
    const why = code === 'EADDRINUSE' ? 'is already in use' : 'needs privileges this process lacks';
    process.stderr.write(`aura: port ${config.http.port} ${why}: set PORT to a free port\n`);
    process.exit(1);
  }
  const { port } = app.getHttpServer().address() as { port: number };
  app.get(AppLogger).log(startupSummary(config, port, app.get(InstanceId).value), 'Aura');
  if (config.demo && config.auth.secretGenerated) {
    const token = signDemoToken(app.get(JwtService));
    // Start-up log lines go through an asynchronous transport: let them out first, so the banner
    // is the last thing on the screen.
    setTimeout(() => process.stdout.write(demoBanner(port, token, config.auth.secretGenerated) + '\n'), 300);
  }
}

// A refusal found while starting (e.g. a Redis too old) is one line and exit 1, as a bad variable is.
bootstrap().catch((err: unknown) => {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`aura: ${err.message}\n`);
  process.exit(1);
});
