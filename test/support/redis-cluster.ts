import { freePort, waitFor } from './process';
import { run, ServerProcess, ServerSet, withClient } from './redis-servers';

export interface ClusterSet {
  nodes: ServerProcess[];
  /** REDIS_CLUSTER_NODES for the service (every node; one would do). */
  nodeList: string;
  /** The node that serves the key's slot as master now. */
  masterOf(key: string): Promise<ServerProcess>;
  /** Starts a killed node again on its port with its nodes.conf: it rejoins as a replica; resolves once it has synced. */
  restart(node: ServerProcess): Promise<ServerProcess>;
}

/** Every node of the set says the cluster is ok and agrees on who serves every slot. */
async function clusterOk(nodes: ServerProcess[]): Promise<boolean> {
  for (const n of nodes.filter((x) => x.alive)) {
    const info = await withClient(n.port, (c) => c.cluster('INFO'));
    if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
  }
  return true;
}

/**
 * A 6-node cluster, 3 masters and 3 replicas (`redis-cli --cluster create --cluster-replicas 1`),
 * node timeout 2 s so a killed master's replica takes over within a few seconds.
 */
export async function startCluster(set: ServerSet): Promise<ClusterSet> {
  const nodes: ServerProcess[] = [];
  const busPorts = new Map<number, number>();
  const startNode = (port: number) =>
    set.start(
      [
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--cluster-port', String(busPorts.get(port)),
        '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0',
      ],
      { port },
    );
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    busPorts.set(port, await freePort());
    nodes.push(await startNode(port));
  }
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
  await waitFor(() => clusterOk(nodes), 20000, 'the cluster to be ok on every node');
  const masterOf = async (key: string): Promise<ServerProcess> => {
    const live = nodes.find((n) => n.alive) as ServerProcess;
    return withClient(live.port, async (c) => {
      const slot = Number(await c.cluster('KEYSLOT', key));
      const ranges = await c.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      const port = range?.[2]?.[1];
      const node = nodes.find((n) => n.port === port);
      if (!node) throw new Error(`no master for slot ${slot}`);
      return node;
    });
  };
  const restart = async (node: ServerProcess): Promise<ServerProcess> => {
    const again = await startNode(node.port);
    nodes[nodes.indexOf(node)] = again;
    await waitFor(() => withClient(again.port, async (c) => /role:slave[\s\S]*master_link_status:up/.test(await c.info('replication'))), 20000, 'the restarted node to sync as a replica');
    return again;
  };
  return { nodes, nodeList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','), masterOf, restart };
}

export { clusterOk };
