/**
 * Who is acting, for approvals and incident steps that managers read in notices: --as, else
 * PGWARDEN_OPERATOR, else the login name, unless that is root (a container's user tells
 * nobody who approved a restore over the live database). Pure.
 */
import { UsageError } from '../../infra/errors/errors';

export function operatorIdentity(as: string | undefined, env: { PGWARDEN_OPERATOR?: string }, loginName: string): string {
  const named = as?.trim() || env.PGWARDEN_OPERATOR?.trim();
  if (named) return named;
  if (loginName === 'root' || loginName === '') {
    throw new UsageError(
      'say who you are: pass --as <name> or set PGWARDEN_OPERATOR (the login name here is root, which tells the people notified nothing)',
    );
  }
  return loginName;
}
