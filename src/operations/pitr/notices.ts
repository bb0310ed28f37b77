/**
 * What point-in-time recovery tells people: the WAL archive's watchdog (it fell behind, it
 * caught up, it stopped), a base backup taken or failed, its verification, and a failed
 * read-back of the WAL.
 */
import { cancelledIf, factIf, failedOrCancelled, type Notice } from '../../infra/notify/notice';
import { formatBytes } from '../backup/progress';
import { describeBaseVerification, type BaseBackupVerification } from './base-verification';
import { describeWalVerification, type WalVerification } from './wal-verification';

export type WalWatchEvent =
  | {
      kind: 'behind';
      server: string;
      problems: string[];
      archivedLsn?: string;
      lagSeconds: number;
      /** WAL_ARCHIVE_COMMAND_ONLY: the server's archive_command sends the WAL, not a worker. */
      archiveCommandOnly?: boolean;
    }
  | { kind: 'caught-up'; server: string; archivedLsn?: string; lagSeconds: number }
  | { kind: 'stopped'; server: string; reason: string }
  /** A run started afresh passed its checks and archives (told to the pager alone: it ends a stop's alert). */
  | { kind: 'archiving'; server: string }
  | {
      kind: 'archive-command-failing';
      server: string;
      problem: string;
      wal?: string;
      /** WAL_ARCHIVE_COMMAND_ONLY: the command is all that archives the server, nothing streams beside it. */
      archiveCommandOnly?: boolean;
    }
  | { kind: 'archive-command-recovered'; server: string };

export function walWatchNotice(e: WalWatchEvent): Notice {
  switch (e.kind) {
    case 'behind':
      return {
        event: 'wal.behind',
        about: e.server,
        severity: 'critical',
        title: `WAL archive of ${e.server} is behind: a point-in-time recovery now would lose about ${Math.round(e.lagSeconds)} s of commits`,
        facts: [
          ['Server', e.server],
          ['Problem', e.problems.join(' | ')],
          ['Archived up to', e.archivedLsn ?? 'unknown'],
        ],
        action: e.archiveCommandOnly
          ? "the server's archive_command sends this WAL: pg_stat_archiver and the server's log say whether it fails; on a quiet server, an archive_timeout longer than WAL_MAX_LAG_SECONDS keeps the archive this far behind. The server keeps every file until it is archived"
          : "check that the worker serving this server runs and reaches the server and S3 (pgwarden wal status); until then the server keeps the WAL for pgwarden's slot, so nothing is lost unless max_slot_wal_keep_size is reached",
      };
    case 'caught-up':
      return {
        event: 'wal.caught-up',
        about: e.server,
        severity: 'info',
        resolves: 'critical',
        title: `WAL archive of ${e.server} caught up`,
        facts: [
          ['Server', e.server],
          ['Behind now', `${Math.round(e.lagSeconds)} s`],
          ['Archived up to', e.archivedLsn ?? 'unknown'],
        ],
      };
    case 'stopped':
      return {
        event: 'wal.stopped',
        about: e.server,
        severity: 'critical',
        title: `WAL archiving of ${e.server} stopped`,
        facts: [
          ['Server', e.server],
          ['Reason', e.reason],
        ],
        action:
          // Archiving first: a base backup refuses while archiving is stopped.
          'point-in-time recovery cannot reach past this: fix the reason above and start archiving again (pgwarden wal start; after a gap, pgwarden wal start --accept-gap), then take a new base backup (pgwarden basebackup)',
      };
    case 'archiving':
      return {
        event: 'wal.archiving',
        about: e.server,
        severity: 'info',
        resolves: 'critical',
        title: `WAL archiving of ${e.server} runs`,
        facts: [['Server', e.server]],
      };
    case 'archive-command-failing':
      return {
        event: 'wal.archive-command-failing',
        about: e.server,
        severity: 'critical',
        title: e.wal
          ? `PostgreSQL's archive_command on ${e.server} is failing: the server's disk keeps all WAL from ${e.wal} on`
          : `PostgreSQL's archive_command on ${e.server} is not archiving: the server's disk keeps all WAL`,
        facts: [['Server', e.server], ['Problem', e.problem], ...factIf('Failing on', e.wal)],
        action:
          `the server's log says why, as does the command run by hand as the server's OS user ` +
          `(pgwarden wal push pg_wal/${e.wal ?? 'FILE'} --server ${e.server}: exit 1 other bytes or another cluster under that name, 4 the key, 78 a setting). ` +
          'pg_wal grows until it succeeds. ' +
          // Beside streaming the archive has this WAL already; alone, skipping a file is a gap in it.
          (e.archiveCommandOnly
            ? 'Nothing else archives this server: mend the command, and never make it succeed without storing the file (a gap no recovery crosses)'
            : "If the disk runs short first, archive_command = 'true' and a reload let the server release what streaming has stored; streaming's slot still keeps what it has not"),
      };
    case 'archive-command-recovered':
      return {
        event: 'wal.archive-command-recovered',
        about: e.server,
        severity: 'info',
        resolves: 'critical',
        title: `PostgreSQL's archive_command on ${e.server} archives again`,
        facts: [['Server', e.server]],
      };
  }
}

export type BaseBackupOutcome =
  | {
      status: 'succeeded';
      server: string;
      backupId: string;
      storedBytes: number;
      /** Where recovery from it starts: LSN and segment. */
      walFrom: string;
      /** The base backup an incremental rests on. */
      incrementalOf?: string;
      durationMs: number;
      reason: string;
      workflowId: string;
    }
  | { status: 'failed'; server: string; errorType: string; message: string; reason: string; workflowId: string };

/**
 * A base backup that ended, told like a dump's backup: a failed one at once (the strategy's
 * "immediate notification"), not days later when the daily check finds the newest too old.
 */
export function baseBackupNotice(o: BaseBackupOutcome): Notice {
  if (o.status === 'succeeded')
    return {
      event: 'basebackup.succeeded',
      about: o.server,
      severity: 'info',
      title: `Base backup of ${o.server} succeeded`,
      facts: [
        ['Server', o.server],
        ['Base backup', o.incrementalOf ? `${o.backupId} (incremental on ${o.incrementalOf})` : o.backupId],
        ['Size', `${formatBytes(o.storedBytes)} stored`],
        ['WAL from', o.walFrom],
        ['Duration', `${(o.durationMs / 1000).toFixed(1)}s`],
        ['Reason', o.reason],
        ['Workflow', o.workflowId],
      ],
    };
  const retry = `run pgwarden basebackup --server ${o.server}`;
  return {
    event: 'basebackup.failed',
    about: o.server,
    ...cancelledIf(o.errorType),
    severity: 'critical',
    title: `Base backup of ${o.server} ${failedOrCancelled(o.errorType)}`,
    facts: [
      ['Server', o.server],
      ['Error', `${o.errorType}: ${o.message}`],
      ['Reason', o.reason],
      ['Workflow', o.workflowId],
    ],
    action: `${
      o.errorType === 'ConfigError'
        ? `fix the worker configuration named above, restart the worker, and ${retry}`
        : `open the workflow in the Temporal Web UI for the full error, fix the cause, and ${retry}`
    }; until one succeeds, a point-in-time recovery starts from the previous base backup and replays all WAL archived since (pgwarden pitr list)`,
  };
}

/** A failed verification of a base backup is an alert; a passed one says what was checked. */
export function baseVerificationNotice(v: BaseBackupVerification): Notice {
  const failed = v.status === 'failed';
  return {
    event: failed ? 'basebackup.verify-failed' : 'basebackup.verified',
    about: v.server,
    severity: failed ? 'critical' : 'info',
    title: failed
      ? `Verification of ${v.server} base backup ${v.backupId} FAILED`
      : `Base backup ${v.backupId} of ${v.server} verified`,
    facts: [
      ['Server', v.server],
      ['Base backup', v.backupId],
      ['Result', describeBaseVerification(v)],
      ['Duration', `${(v.durationMs / 1000).toFixed(1)}s`],
    ],
    action: failed
      ? `do not rely on this base backup for point-in-time recovery: check the findings above and take a new one (pgwarden basebackup), or verify it again once mended (pgwarden verify --base ${v.backupId})`
      : undefined,
  };
}

/**
 * A failed read-back is told to everyone. A passed one only to the pager (it ends a failed one's
 * alert): it is in the verify run's result, and a daily mail that all is well would teach
 * people to skip the one that is not.
 */
export function walVerifiedNotice(v: WalVerification): Notice {
  return {
    event: 'wal.verified',
    about: v.server,
    severity: 'info',
    resolves: 'critical',
    title: `Archived WAL of ${v.server} read back sound`,
    facts: [
      ['Server', v.server],
      ['Result', describeWalVerification(v)],
    ],
  };
}

export function walVerificationNotice(v: WalVerification): Notice {
  return {
    event: 'wal.verify-failed',
    about: v.server,
    severity: 'critical',
    title: `Archived WAL of ${v.server} FAILED its read-back`,
    facts: [
      ['Server', v.server],
      ['Result', describeWalVerification(v)],
      ...v.failures.map((f): [string, string] => ['Finding', f]),
    ],
    action:
      'a point-in-time recovery through that segment stops there: take a new base backup now (pgwarden basebackup) so recoveries start after it, look for an intact copy of the segment (bucket versioning or replication), and run pgwarden verify again once mended',
  };
}
