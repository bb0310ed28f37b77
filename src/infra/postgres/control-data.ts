/**
 * What a copied cluster's pg_control says about the server it came from. A hot standby (and
 * a point-in-time recovery with hot_standby on) refuses to start with lower settings than the
 * primary had for these; a base backup of a Debian cluster carries no postgresql.conf (it
 * lives in /etc), so the defaults would be used. pgwarden passes the primary's values.
 */
import { pgProgram } from './binaries';
import { clusterFits } from './instance';
import { runCommand } from '../process/run-command';

/** pg_controldata's label → the setting a recovering instance needs at least. */
const MINIMUMS: Record<string, string> = {
  'max_connections setting': 'max_connections',
  'max_worker_processes setting': 'max_worker_processes',
  'max_wal_senders setting': 'max_wal_senders',
  'max_prepared_xacts setting': 'max_prepared_transactions',
  'max_locks_per_xact setting': 'max_locks_per_transaction',
};

/** The primary's values of the settings a recovering instance must not go below. */
export function recoveryMinimums(controlData: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of controlData.split('\n')) {
    const m = /^([^:]+):\s*(\d+)\s*$/.exec(line);
    if (m && MINIMUMS[m[1].trim()]) out[MINIMUMS[m[1].trim()]] = m[2];
  }
  return out;
}

export async function readRecoveryMinimums(dataDir: string, pgBinDir?: string): Promise<Record<string, string>> {
  const { stdout } = await runCommand(pgProgram('pg_controldata', pgBinDir, clusterFits(dataDir)), [dataDir], {
    env: { PATH: process.env.PATH, LANG: 'C' },
  });
  return recoveryMinimums(stdout);
}
