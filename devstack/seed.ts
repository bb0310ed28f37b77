/** Fills the stack's `sample` database with the print-shop sample data (idempotent). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { repoRoot } from './paths';
import { SAMPLE_DATABASE, SUPERUSER } from './services/postgres';
import { loadState } from './state';

export async function seedSampleData(): Promise<string> {
  const state = loadState();
  if (!state) throw new Error('the stack has never been started; run: scripts/stack up');
  const client = new Client({
    host: '127.0.0.1',
    port: state.ports.postgres,
    user: SUPERUSER,
    password: state.credentials.postgresPassword,
    database: SAMPLE_DATABASE,
  });
  await client.connect();
  try {
    await client.query(readFileSync(join(repoRoot, 'devstack', 'sample-data.sql'), 'utf8'));
    const counts: string[] = [];
    for (const table of ['customers', 'products', 'orders', 'order_items', 'payments']) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${client.escapeIdentifier(table)}`);
      counts.push(`${table} ${rows[0].n}`);
    }
    return counts.join(', ');
  } finally {
    await client.end();
  }
}
