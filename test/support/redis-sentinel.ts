import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitFor } from './process';
import { ServerProcess, ServerSet, withClient } from './redis-servers';

export const SENTINEL_MASTER = 'aura-master';

export interface SentinelSet {
  master: ServerProcess;
  replica: ServerProcess;
  sentinels: ServerProcess[];
  /** REDIS_SENTINELS for the service. */
  sentinelList: string;
  /** The port of the master the sentinels name now. */
  currentMasterPort(): Promise<number>;
}

/**
 * A master, one replica and `count` sentinels (quorum 1, down after 1 s) on free ports. The
 * replica syncs diskless with no delay, so the set is ready in about a second.
 */
export async function startSentinelSet(set: ServerSet, count = 1): Promise<SentinelSet> {
  const fast = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0', '--repl-diskless-load', 'on-empty-db'];
  const master = await set.start(fast);
  const replica = await set.start([...fast, '--replicaof', '127.0.0.1', String(master.port)]);
  await waitFor(() => withClient(replica.port, async (c) => /master_link_status:up/.test(await c.info('replication'))), 10000, 'the replica to sync');
  const sentinels: ServerProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const file = join(set.dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 4000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await set.start(['--sentinel'], { port, configFile: file }));
  }
  // A sentinel knows the replica once it has asked the master (INFO every 10 s; at once on start).
  await waitFor(
    () => withClient(sentinels[0].port, async (c) => ((await c.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER)) as unknown[]).length > 0),
    15000,
    'the sentinel to discover the replica',
  );
  return {
    master,
    replica,
    sentinels,
    sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
    currentMasterPort: () =>
      withClient(sentinels[0].port, async (c) => Number(((await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER)) as string[])[1])),
  };
}
