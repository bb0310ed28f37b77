/**
 * What ties a database to logical replication and stays with it, not with its name: its
 * replication slots (a publisher's, a CDC connector's) and its running subscriptions. An
 * in-place restore renames the live database aside and gives its name to the restored copy;
 * these stay with the kept one. Before, that happened without a word: the slots went on
 * holding WAL on the server, their consumers could no longer read the database by its name,
 * and the kept copy went on receiving its subscriptions' changes while the restored one has
 * them disabled (as pg_dump writes them).
 */
import type { Client } from 'pg';

export interface ReplicationTies {
  /** Logical replication slots of the database. */
  slots: string[];
  /** Its subscriptions that are enabled. */
  subscriptions: string[];
}

export async function replicationTies(admin: Client, database: string): Promise<ReplicationTies> {
  const slots = await admin.query<{ name: string }>(
    `SELECT slot_name AS name FROM pg_replication_slots WHERE slot_type = 'logical' AND database = $1 ORDER BY 1`,
    [database],
  );
  const subscriptions = await admin.query<{ name: string }>(
    `SELECT s.subname AS name FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
      WHERE d.datname = $1 AND s.subenabled ORDER BY 1`,
    [database],
  );
  return { slots: slots.rows.map((r) => r.name), subscriptions: subscriptions.rows.map((r) => r.name) };
}

const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(', ');

/** The restore's warnings for what stayed with the kept database, and what to do. Pure. */
export function keptTiesWarnings(t: ReplicationTies, live: string, kept: string): string[] {
  const out: string[] = [];
  if (t.slots.length)
    out.push(
      `logical replication slot(s) ${quoted(t.slots)} stayed with ${kept} (a slot belongs to its database, not its name): they hold WAL on the server until dropped, and their consumers cannot read ${live} through them; create new slots in ${live} for those consumers and drop these (SELECT pg_drop_replication_slot('${t.slots[0]}')), or drop ${kept}, which drops them`,
    );
  if (t.subscriptions.length)
    out.push(
      `subscription(s) ${quoted(t.subscriptions)} still run in ${kept}, which goes on receiving their changes, while ${live} has them disabled (as pg_dump restores them): ALTER SUBSCRIPTION ... DISABLE in ${kept}, then in ${live} ALTER SUBSCRIPTION ... SET (slot_name = '...') and ENABLE`,
    );
  return out;
}
