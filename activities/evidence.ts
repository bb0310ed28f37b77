/**
 * Evidence reports stored beside a database's backups (docs/FORMAT.md §9): an incident's,
 * built here from its state, and a recovery's, built by its workflow. JSON and markdown, the
 * same keys on a retry.
 */
import { evidenceMarkdown, incidentEvidence } from '../src/operations/dr/evidence';
import type { IncidentState } from '../src/operations/dr/incident';
import { TableRecoveryEvidence, tableRecoveryMarkdown } from '../src/operations/table-recovery/evidence';
import { evidenceKeys } from '../src/infra/storage/layout';
import { ActivityDeps } from './deps';

export type EvidenceKeys = { json: string; markdown: string };

export function evidenceActivities(deps: ActivityDeps) {
  async function store(database: string, at: string, id: string, report: unknown, markdown: string): Promise<EvidenceKeys> {
    const keys = evidenceKeys(deps.config.storage.prefix, database, at, id);
    await deps.bucket.putJson(keys.json, report);
    await deps.bucket.putText(keys.markdown, markdown, 'text/markdown; charset=utf-8');
    return { json: deps.bucket.where(keys.json), markdown: deps.bucket.where(keys.markdown) };
  }

  return {
    /** A closed incident's report, built from its state. */
    async storeIncidentEvidence(input: { state: IncidentState }): Promise<EvidenceKeys> {
      const report = incidentEvidence(input.state, deps.now());
      return store(report.database, report.closedAt ?? report.generatedAt, report.id, report, evidenceMarkdown(report));
    },

    /** A table recovery's report, as its workflow built it; stored under the server it came from. */
    async storeTableRecoveryEvidence(input: { report: TableRecoveryEvidence }): Promise<EvidenceKeys> {
      const r = input.report;
      return store(r.server, r.finishedAt, r.id, r, tableRecoveryMarkdown(r));
    },
  };
}
