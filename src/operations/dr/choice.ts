/**
 * What a selection at step 3 asks for, resolved against what pgwarden proposed: a logical
 * backup (in place or into a new database), the whole server as of a point in time or a
 * restore point (into a new instance), or some tables as of one (back into the live
 * database). A plain function: the validator and the step both use it.
 */
import { parseTarget, type RecoveryTarget } from '../pitr/target';
import { planRecoveryNames } from '../table-recovery/names';
import type { IncidentState } from './incident';

export interface SelectInput {
  by: string;
  /** Default: the point just before the failure when the WAL archive covers it, else the proposed backup. */
  backupId?: string;
  newDatabase?: string;
  /** A point in time (ISO time with its zone, or "latest"): the server into a new instance. */
  to?: string;
  /** A restore point's name (pgwarden pitr mark): the server, or the tables, as of it. */
  toName?: string;
  /** Tables (schema.table) as of `to` or `toName` (default: the proposed point), back into the live database. */
  tables?: string[];
  /** With tables: swap them into the live tables' place after an approval, instead of beside them. */
  replace?: boolean;
}

export type RecoveryChoice =
  | { kind: 'backup'; backupId: string; newDatabase?: string }
  | { kind: 'point-in-time'; target: RecoveryTarget }
  | { kind: 'tables'; target: RecoveryTarget; tables: string[]; replace: boolean };

export function resolveChoice(
  state: Pick<IncidentState, 'proposal' | 'pointInTime'>,
  input: SelectInput,
): RecoveryChoice | { problem: string } {
  const { to, toName, tables, replace } = input;
  if (to !== undefined && typeof to !== 'string')
    return { problem: `"to" must be text in quotes: an ISO time with its zone, or "latest"; got ${JSON.stringify(to)}` };
  if (toName !== undefined && typeof toName !== 'string')
    return { problem: `"toName" must be text in quotes: the name of a restore point; got ${JSON.stringify(toName)}` };
  if (to !== undefined && toName !== undefined)
    return { problem: 'give either "to" (a time) or "toName" (a restore point), not both' };
  if (tables !== undefined && (!Array.isArray(tables) || !tables.length || tables.some((t) => typeof t !== 'string')))
    return { problem: `"tables" must be a list of table names, e.g. ["shop.orders"]; got ${JSON.stringify(tables)}` };
  if (replace !== undefined && typeof replace !== 'boolean')
    return { problem: `"replace" must be true or false without quotes; got ${JSON.stringify(replace)}` };
  if (replace && !tables) return { problem: '"replace" goes with "tables": only tables are swapped into place' };
  const named = to !== undefined || toName !== undefined;
  const pointInTime = named || tables !== undefined;
  if (pointInTime && input.backupId !== undefined)
    return { problem: 'give either "backupId" (a logical backup) or "to"/"toName"/"tables" (a point in time), not both' };
  if (pointInTime && input.newDatabase !== undefined)
    return {
      problem:
        '"newDatabase" is for a backup: a point-in-time recovery goes into a new instance, and tables come back beside the live ones',
    };

  let target: RecoveryTarget | undefined = state.pointInTime?.target;
  if (to !== undefined) {
    const parsed = parseTarget({ to });
    if ('problem' in parsed) return { problem: parsed.problem.replace(/^--to /, '"to" ') };
    if (parsed.kind !== 'time' && parsed.kind !== 'latest')
      return { problem: `"to": give a time with its zone (2026-11-29T10:15:00Z) or "latest"` };
    target = parsed;
  }
  if (toName !== undefined) {
    const parsed = parseTarget({ toName });
    if ('problem' in parsed) return { problem: parsed.problem.replace(/^--to-name: /, '"toName": ') };
    target = parsed;
  }
  if (tables) {
    if (!target)
      return {
        problem: 'no point in time was proposed (the WAL archive does not cover the failure): give "to" or "toName"',
      };
    const names = planRecoveryNames(tables, undefined, Boolean(replace));
    if ('problem' in names) return { problem: names.problem.replace(/--table /g, '"tables": ') };
    return { kind: 'tables', target, tables: tables.map((t) => t.trim()), replace: Boolean(replace) };
  }
  if (named) return { kind: 'point-in-time', target: target! };
  // Nothing named: the point just before the failure when the archive covers it, else the proposed backup.
  if (input.backupId === undefined && input.newDatabase === undefined && state.pointInTime)
    return { kind: 'point-in-time', target: state.pointInTime.target };
  const backupId = input.backupId ?? state.proposal?.backupId;
  if (!backupId) return { problem: 'no backup was proposed; give "backupId" (or "to" for a point in time)' };
  return { kind: 'backup', backupId, newDatabase: input.newDatabase };
}
