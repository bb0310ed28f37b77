/**
 * DROP DATABASE of a database pgwarden made (a test restore's copy, an earlier attempt's, a
 * scratch database). A restored logical replication subscriber carries its subscriptions, which
 * DROP DATABASE refuses even WITH (FORCE) ("is being used by logical replication subscription"):
 * each is detached first in its database (disabled, its slot forgotten, so nothing is asked of
 * the publisher) and dropped.
 */
import type { Client } from 'pg';
import type { DatabaseTarget } from '../config/databases';
import { connectDatabase } from './client';

export async function dropDatabase(admin: Client, server: DatabaseTarget, name: string): Promise<void> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT s.subname AS name FROM pg_catalog.pg_subscription s JOIN pg_catalog.pg_database d ON d.oid = s.subdbid WHERE d.datname = $1`,
    [name],
  );
  if (rows.length > 0) {
    const c = await connectDatabase(server, { database: name });
    try {
      for (const row of rows) {
        const sub = c.escapeIdentifier(row.name);
        await c.query(`ALTER SUBSCRIPTION ${sub} DISABLE`);
        await c.query(`ALTER SUBSCRIPTION ${sub} SET (slot_name = NONE)`);
        await c.query(`DROP SUBSCRIPTION ${sub}`);
      }
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(name)} WITH (FORCE)`);
}
