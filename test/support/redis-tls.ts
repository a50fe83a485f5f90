import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, ServerProcess, ServerSet } from './redis-servers';

export const TLS_USER = 'aura';
export const TLS_PASSWORD = 'tls-test-pa55';

/**
 * A redis-server that speaks TLS only, with a CA and a server certificate (for 127.0.0.1) made
 * here with openssl, `requirepass` for the default user and an ACL user `aura` with its own password.
 */
export async function startTlsRedis(set: ServerSet): Promise<{ server: ServerProcess; url: string; caFile: string }> {
  const f = (name: string) => join(set.dir, name);
  const ssl = (...args: string[]) => run('openssl', args);
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Aura test CA', '-keyout', f('ca.key'), '-out', f('ca.crt'));
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  await run('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${f('san.ext')}'`]);
  await ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('san.ext'), '-out', f('server.crt'));
  const ca = readFileSync(f('ca.crt'), 'utf8');
  const server = await set.start(
    [
      '--tls-cert-file', f('server.crt'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.crt'), '--tls-auth-clients', 'no',
      '--requirepass', 'default-pa55',
      '--user', TLS_USER, 'on', `>${TLS_PASSWORD}`, '~*', '&*', '+@all',
    ],
    { tlsOnly: true, probe: { tls: { ca }, username: TLS_USER, password: TLS_PASSWORD } },
  );
  return { server, url: `rediss://${TLS_USER}:${TLS_PASSWORD}@127.0.0.1:${server.port}`, caFile: f('ca.crt') };
}
