import { execFileSync } from 'node:child_process';

/** A PostgreSQL cluster of this machine (Debian's postgresql-common), stopped and started by tests. */
export interface LocalCluster {
  version: string;
  name: string;
  port: number;
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The local cluster that serves `databaseUrl`, or why there is none: the URL must name this
 * machine and `pg_lsclusters` must list a cluster on its port.
 */
export function localClusterServing(databaseUrl: string): LocalCluster | string {
  const url = new URL(databaseUrl);
  if (!LOCAL_HOSTS.has(url.hostname)) return `the test database is not on this machine (${url.hostname})`;
  const port = Number(url.port || 5432);
  let listing: string;
  try {
    listing = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' });
  } catch {
    return 'pg_lsclusters is not available (Debian package postgresql-common)';
  }
  for (const line of listing.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/);
    if (version && name && Number(clusterPort) === port) return { version, name, port };
  }
  return `no local PostgreSQL cluster listens on port ${port}`;
}

export function stopCluster(cluster: LocalCluster): void {
  pgCtlCluster(cluster, 'stop', ['-m', 'fast']);
}

/** Starts the cluster and waits until it accepts connections (up to 30 s). */
export function startCluster(cluster: LocalCluster): void {
  pgCtlCluster(cluster, 'start');
  execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', String(cluster.port), '-t', '30'], { stdio: 'ignore' });
}

export function isClusterUp(cluster: LocalCluster): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', String(cluster.port), '-q'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function pgCtlCluster(cluster: LocalCluster, action: 'start' | 'stop', options: string[] = []): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, action, ...options], {
    stdio: 'inherit',
  });
}
