/**
 * Who runs the CLI, as Temporal records it on every run it starts and every Update it sends
 * (the history's `identity`): the account and host, so the audit trail says who started a
 * restore, not only that some process did.
 */
import { hostname, userInfo } from 'node:os';
import type { Env } from '../../infra/config/env-file';

export function cliIdentity(env: Env): string {
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry.
    user = env.USER ?? env.LOGNAME;
  }
  return `pgwarden ${user || 'unknown'}@${hostname()} pid ${process.pid}`;
}
