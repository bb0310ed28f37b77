/** What a restore tells people: approval needed, started, done, failed. */
import { OBJECTIVES } from '../../infra/config/objectives';
import { factIf, type Notice } from '../../infra/notify/notice';

export type RestoreOutcome =
  | {
      status: 'approval-needed';
      database: string;
      backupId: string;
      workflowId: string;
      timeoutMinutes: number;
      /** Run by this DR incident: approved through it. */
      incident?: string;
    }
  | { status: 'started'; database: string; backupId: string; target: string; mode: 'new' | 'existing'; workflowId: string }
  | {
      status: 'succeeded';
      database: string;
      backupId: string;
      target: string;
      keptAs: string | null;
      recoveryMs: number;
      backupAgeHours: number | null;
      withinRto: boolean;
      workflowId: string;
    }
  | { status: 'failed'; database: string; backupId: string; target: string; message: string; workflowId: string };

/** The strategy's send_restore_notification: approval needed, start, success (with RTO) and failure. */
export function restoreNotice(o: RestoreOutcome): Notice {
  const common: Array<[string, string]> = [
    ['Database', o.database],
    ['Backup', o.backupId],
  ];
  switch (o.status) {
    case 'approval-needed':
      return {
        event: 'restore.approval-needed',
        severity: 'warning',
        // Someone must answer it, or the restore waits until it times out.
        alwaysSent: true,
        title: `Restore of ${o.database} in place is waiting for approval`,
        facts: [
          ...common,
          ...factIf('Incident', o.incident),
          ['Workflow', o.workflowId],
          ['Times out in', `${o.timeoutMinutes} min`],
        ],
        action: o.incident
          ? `approve through the incident: pgwarden dr approve ${o.incident} --as <your name> (or the Update approveIncidentRestore of ${o.incident} in the Temporal UI); to stop instead, pgwarden dr abort ${o.incident} --reason TEXT`
          : `approve with: pgwarden restore --approve ${o.workflowId} --as <your name> (or send the approveRestoreSignal from the Temporal UI); reject with --reject`,
      };
    case 'started':
      return {
        event: 'restore.started',
        severity: 'info',
        title: `Restore of ${o.database} started`,
        facts: [
          ...common,
          ['Into', `${o.target} (${o.mode === 'new' ? 'new database' : 'in place'})`],
          ['Workflow', o.workflowId],
        ],
      };
    case 'succeeded':
      return {
        event: 'restore.succeeded',
        severity: o.withinRto ? 'info' : 'warning',
        title: `Restore of ${o.database} succeeded`,
        facts: [
          ...common,
          ['Into', o.target],
          ...factIf('Previous data kept as', o.keptAs),
          ['Recovery time', `${(o.recoveryMs / 60000).toFixed(1)} min (${OBJECTIVES.restore.text} for a database restore)`],
          ['Backup age', o.backupAgeHours === null ? 'unknown' : `${o.backupAgeHours} h (RPO: 24 h)`],
          ['Workflow', o.workflowId],
        ],
        action: o.keptAs ? `check the application; drop ${o.keptAs} once you no longer need the data it held` : undefined,
      };
    case 'failed':
      return {
        event: 'restore.failed',
        severity: 'critical',
        title: `Restore of ${o.database} FAILED`,
        facts: [...common, ['Into', o.target], ['Error', o.message], ['Workflow', o.workflowId]],
        action: 'see the error above; an in-place restore leaves the existing database untouched unless it finished',
      };
  }
}
