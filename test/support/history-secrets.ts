/**
 * Secrets never reach Temporal: no password, key, token or webhook URL in any workflow's
 * inputs, results, failures, heartbeats or search attributes. After the whole suite, every
 * history this run left on the stack's Temporal server is searched for each secret of the
 * stack's settings, its payloads' bytes read as text.
 */
import { Client, Connection } from '@temporalio/client';
import { Env } from '../../src/infra/config/env-file';
import { CONFIG_VARIABLES } from '../../src/infra/config/variables';

const flagged = new Set(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name));

/**
 * The secrets among settings, by a name that says which (never the value): the variables the
 * table marks secret and any named for a secret, the password of any URL, and the path of a
 * secret URL that is not a database's (a webhook's path is its credential). Too short a value
 * would match by chance and is left out. Pure.
 */
export function secretsOf(env: Env): Map<string, string> {
  const found = new Map<string, string>();
  const add = (name: string, value: string) => value.length >= 8 && found.set(name, value);
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (flagged.has(name) || /SECRET|PASSWORD|TOKEN|API_KEY|ENCRYPTION_KEY$/.test(name)) add(name, value);
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) continue;
    try {
      const url = new URL(value);
      if (url.password) add(`${name} (password)`, decodeURIComponent(url.password));
      if (flagged.has(name) && !/^postgres(ql)?:$/.test(url.protocol)) add(`${name} (path)`, url.pathname);
    } catch {
      // not a URL after all
    }
  }
  return found;
}

export interface Leak {
  workflowId: string;
  runId: string;
  type: string;
  secret: string;
}

/** Every string of a history, its payloads' bytes (the inputs, results, details) read as text. */
export function textOf(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') parts.push(v);
    else if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
  return parts.join('\n');
}

/** The histories that hold one of the secrets, of the workflows matching the visibility query. */
export async function historiesHolding(client: Client, secrets: Map<string, string>, query?: string): Promise<Leak[]> {
  const leaks: Leak[] = [];
  for await (const wf of client.workflow.list(query ? { query } : undefined)) {
    const text = textOf(await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory());
    for (const [secret, value] of secrets)
      if (text.includes(value)) leaks.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, secret });
  }
  return leaks;
}

/** The sweep after the suite: this run's workflows on the stack's server, against the stack's secrets. */
export async function sweepStackHistories(env: Env, since: Date): Promise<{ leaks: Leak[]; secrets: number }> {
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
  try {
    const client = new Client({ connection, namespace: env.TEMPORAL_NAMESPACE });
    const secrets = secretsOf(env);
    return { leaks: await historiesHolding(client, secrets, `StartTime >= "${since.toISOString()}"`), secrets: secrets.size };
  } finally {
    await connection.close();
  }
}
