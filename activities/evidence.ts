/**
 * Evidence reports stored beside a database's backups (docs/FORMAT.md §9): an incident's,
 * built here from its state, and a recovery's, built by its workflow. JSON and markdown, the
 * same keys on a retry.
 */
import { evidenceMarkdown, incidentEvidence } from '../src/operations/dr/evidence';
import type { IncidentState } from '../src/operations/dr/incident';
import { TableRecoveryEvidence, tableRecoveryMarkdown } from '../src/operations/table-recovery/evidence';
import { RestoreEvidence, restoreMarkdown } from '../src/operations/restore/evidence';
import { Context, log } from '@temporalio/activity';
import { startedBy } from '../src/infra/temporal/started-by';
import { evidenceKeys, reportsFolder } from '../src/infra/storage/layout';
import type { EvidenceReport } from '../src/operations/dr/evidence';
import { ActivityDeps } from './deps';

export type EvidenceKeys = { json: string; markdown: string };

export function evidenceActivities(deps: ActivityDeps) {
  async function store(database: string, at: string, id: string, report: unknown, markdown: string): Promise<EvidenceKeys> {
    const keys = evidenceKeys(deps.config.storage.prefix, database, at, id);
    await deps.bucket.putJson(keys.json, report);
    await deps.bucket.putText(keys.markdown, markdown, 'text/markdown; charset=utf-8');
    return { json: deps.bucket.where(keys.json), markdown: deps.bucket.where(keys.markdown) };
  }

  /** Who asked for the run storing its evidence: the audit trail outlives Temporal's history. */
  const requester = () => {
    const { client, info } = Context.current();
    return info.workflowExecution ? startedBy(client, info.workflowExecution) : Promise.resolve(null);
  };

  return {
    /** A closed incident's report, built from its state. */
    async storeIncidentEvidence(input: { state: IncidentState }): Promise<EvidenceKeys> {
      const report = { ...incidentEvidence(input.state, deps.now()), startedBy: await requester() };
      return store(report.database, report.closedAt ?? report.generatedAt, report.id, report, evidenceMarkdown(report));
    },

    /** A restore's or point-in-time restore's report, as its workflow built it. */
    async storeRestoreEvidence(input: { report: RestoreEvidence }): Promise<EvidenceKeys> {
      const r = { ...input.report, startedBy: await requester() };
      return store(r.database, r.finishedAt, r.id, r, restoreMarkdown(r));
    },

    /** A table recovery's report, as its workflow built it; stored under the server it came from. */
    async storeTableRecoveryEvidence(input: { report: TableRecoveryEvidence }): Promise<EvidenceKeys> {
      const r = { ...input.report, startedBy: await requester() };
      return store(r.server, r.finishedAt, r.id, r, tableRecoveryMarkdown(r));
    },
  };
}

/**
 * Reports stored for a database whose file name matches, newest first by their time (the
 * key starts with it): the daily check and `pgwarden report` read them back.
 */
export async function storedEvidence<T>(deps: ActivityDeps, database: string, name: RegExp): Promise<T[]> {
  const listed = await deps.bucket.list(reportsFolder(deps.config.storage.prefix, database));
  const keys = listed
    .map((o) => o.key)
    .filter((k) => k.endsWith('.json') && name.test(k.slice(k.lastIndexOf('/') + 1)))
    .sort()
    .reverse();
  const out: T[] = [];
  for (const key of keys) {
    const text = await deps.bucket.getText(key);
    if (!text) continue;
    try {
      out.push(JSON.parse(text) as T);
    } catch {
      log.warn('unreadable report', { key });
    }
  }
  return out;
}

/** The drills of a database (incidents of severity DRILL), newest first. */
export async function storedDrills(deps: ActivityDeps, database: string): Promise<EvidenceReport[]> {
  return (await storedEvidence<EvidenceReport>(deps, database, /_dr-/)).filter(
    (r) => r.type === 'disaster-recovery' && r.severity === 'DRILL',
  );
}
