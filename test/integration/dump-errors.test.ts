/**
 * What a real pg_dump says when the server turns it away, and how pgwarden words it: a server
 * whose connection slots are all taken (max_connections 4, all held). Before, that was
 * "check that the database server is up", for a server that is up.
 */
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { DatabaseConnectionError } from '../../src/infra/errors/errors';
import { classifyDumpFailure } from '../../src/infra/postgres/dump-errors';
import { ScratchCluster, startScratchCluster } from '../support/scratch-cluster';

describe('pg_dump turned away by a real server', () => {
  let server: ScratchCluster;
  const held: Client[] = [];
  beforeAll(async () => {
    server = await startScratchCluster({
      settings: { max_connections: '4', superuser_reserved_connections: '0', max_wal_senders: '0' },
    });
  }, 60_000);
  afterAll(async () => {
    for (const c of held) await c.end().catch(() => undefined);
    await server?.stop();
  });

  it('with every connection slot taken: no free connection, not a server that is down; retried', async () => {
    for (let i = 0; i < 4; i++) {
      const c = new Client({ connectionString: server.url() });
      await c.connect();
      held.push(c);
    }
    const run = spawnSync('pg_dump', ['-Fc', '-f', '/dev/null', server.url()], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    const err = classifyDumpFailure('pg_dump', { code: run.status, signal: null, stderr: run.stderr });
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(
      /^pg_dump failed \(exit 1\): connection to server .* failed: FATAL: {2}sorry, too many clients already; the server has no connection free for it: raise max_connections \(or the role's or database's CONNECTION LIMIT\), or free connections \(a backup takes BACKUP_JOBS \+ 2\)$/,
    );
  });
});
