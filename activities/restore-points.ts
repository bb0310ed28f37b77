/**
 * Restore points pgwarden records (`pgwarden pitr mark NAME`), and the base backup a target
 * starts from, a recorded restore point found by its position.
 */
import { Context } from '@temporalio/activity';
import { requireDatabase } from '../src/infra/config/config';
import { BackupNotFoundError, UsageError, WalArchiveError } from '../src/infra/errors/errors';
import { connectDatabase } from '../src/infra/postgres/client';
import { restorePointFolder, restorePointKey } from '../src/infra/storage/layout';
import { archivedUpTo, archivedWal, baseBackups } from '../src/operations/pitr/archive';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import {
  parseRestorePoint,
  RESTORE_POINT_FORMAT_VERSION,
  RESTORE_POINT_KIND,
  ListedRestorePoint,
  otherClusterPoint,
  RestorePointRecord,
  restorePointNameProblem,
} from '../src/operations/pitr/restore-points';
import { chooseBaseBackup, FailedBaseBackups, namedBaseBackup, RecoveryTarget } from '../src/operations/pitr/target';
import { formatLsn, parseLsn } from '../src/operations/pitr/wal-names';
import type { Client } from 'pg';
import { ActivityDeps } from './deps';
import { failedBaseBackups } from './base-verifications';

export interface MarkRestorePointInput {
  server: string;
  name: string;
  workflowId: string;
  runId: string;
}

export interface MarkedRestorePoint extends RestorePointRecord {
  /** How far the archive held the server's WAL when the point was found in it. */
  archivedUpTo: string;
}

export async function recordedRestorePoint(
  deps: ActivityDeps,
  server: string,
  name: string,
): Promise<RestorePointRecord | undefined> {
  const key = restorePointKey(deps.config.storage.prefix, server, name);
  const text = await deps.bucket.getText(key);
  return text === undefined ? undefined : parseRestorePoint(text, key);
}

/**
 * The base backup a target starts from (the newest consistent before it whose verification did
 * not fail, or the one named), with a note when a failed one was passed over or used, and the
 * target with a recorded restore point's position filled in (recovery is then checked and
 * started as for an LSN). A named base backup that does not exist fails here (exit 66).
 */
export async function chooseBaseFor(
  deps: ActivityDeps,
  server: string,
  target: RecoveryTarget,
  baseBackupId?: string,
): Promise<{ base: BaseBackupManifest; target: RecoveryTarget; note?: string } | { problem: string }> {
  const bases = await baseBackups(deps.bucket, deps.config.storage.prefix, server);
  const point =
    target.kind === 'name' && target.lsn === undefined ? await recordedRestorePoint(deps, server, target.name) : undefined;
  const otherCluster = point && otherClusterPoint(point, bases);
  if (otherCluster) return { problem: otherCluster };
  const resolved: RecoveryTarget = point && target.kind === 'name' ? { ...target, lsn: point.lsn } : target;
  const failed = await failedBaseBackups(deps, server, bases);
  const chosen = baseBackupId
    ? namedBaseBackup(bases, resolved, baseBackupId, failed)
    : chooseBaseBackup(bases, resolved, failed);
  if ('problem' in chosen && 'missing' in chosen) throw new BackupNotFoundError(`${server}: ${chosen.problem}`);
  if ('problem' in chosen) return chosen;
  return { base: chosen.base, target: resolved, ...(chosen.note ? { note: chosen.note } : {}) };
}

/**
 * The restore points recorded for a server, newest first, each with the base backup a restore
 * to it starts from. `known`: the server's base backups, and `failed` those whose verification
 * failed, when the caller has read them already.
 */
export async function listedRestorePoints(
  deps: ActivityDeps,
  server: string,
  known?: BaseBackupManifest[],
  failedKnown?: FailedBaseBackups,
): Promise<ListedRestorePoint[]> {
  const { prefix } = deps.config.storage;
  if (!deps.config.wal.servers.includes(server)) return [];
  const listed = await deps.bucket.list(restorePointFolder(prefix, server));
  if (!listed.length) return [];
  const bases = known ?? (await baseBackups(deps.bucket, prefix, server));
  // As a restore to each would choose: past base backups whose verification failed.
  const failed = failedKnown ?? (await failedBaseBackups(deps, server, bases));
  const points: ListedRestorePoint[] = [];
  for (const o of listed.filter((x) => x.key.endsWith('.json'))) {
    const p = parseRestorePoint((await deps.bucket.getText(o.key)) ?? '', o.key);
    const chosen = chooseBaseBackup(bases, { kind: 'name', name: p.name, lsn: p.lsn }, failed);
    points.push({
      name: p.name,
      lsn: p.lsn,
      createdAt: p.createdAt,
      fromBaseBackup: 'base' in chosen ? chosen.base.backupId : null,
      ...('problem' in chosen ? { unreachable: bases.length ? 'before the oldest base backup' : 'no base backup yet' } : {}),
    });
  }
  return points.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

export function restorePointActivities(deps: ActivityDeps) {
  return {
    /** The restore points recorded for a server, newest first, each with the base backup a restore to it starts from. */
    async listRestorePoints(input: { server: string }): Promise<ListedRestorePoint[]> {
      return listedRestorePoints(deps, input.server);
    },

    /**
     * pg_create_restore_point() on the server, recorded in the bucket, and done once the archive
     * holds the WAL with it: a restore to it works from then on. A retry of the same run finds its
     * own record; a retry before the record was written makes the point again (recovery stops at
     * the first of the two, made moments before).
     */
    async markRestorePoint(input: MarkRestorePointInput): Promise<MarkedRestorePoint> {
      const { config } = deps;
      const ctx = Context.current();
      const problem = restorePointNameProblem(input.name);
      if (problem) throw new UsageError(problem);
      if (!config.wal.servers.includes(input.server))
        throw new UsageError(
          `${input.server} is not in WAL_ARCHIVE: a restore point is only of use to a point-in-time restore from its WAL archive`,
        );
      const key = restorePointKey(config.storage.prefix, input.server, input.name);
      const found = await recordedRestorePoint(deps, input.server, input.name);
      if (found && found.workflow.id !== input.workflowId) throw new UsageError(taken(found));
      // One connection: the point (unless this run recorded it already) and the segment size the wait needs.
      let record = found;
      const target = requireDatabase(config, input.server);
      const client = await connectDatabase(target);
      let segmentBytes: number;
      try {
        record ??= await createPoint(client, target.user, input);
        const { rows } = await client.query<{ bytes: string }>(
          `SELECT setting AS bytes FROM pg_settings WHERE name = 'wal_segment_size'`,
        );
        segmentBytes = Number(rows[0].bytes);
      } finally {
        await client.end().catch(() => undefined);
      }
      if (!found) {
        const put = await deps.bucket.putIfAbsent(key, JSON.stringify(record, null, 2) + '\n', {
          contentType: 'application/json',
        });
        if (put !== 'written') {
          const other = parseRestorePoint(put.existing.toString('utf8'), key);
          if (other.workflow.id !== input.workflowId) throw new UsageError(taken(other));
          record = other;
        }
      }
      // Done when a restore can reach it: the WAL holding it archived (within seconds while archiving runs).
      const wait = Math.max(60, 3 * config.wal.partialUploadSeconds) * 1000;
      const started = Date.now();
      for (;;) {
        const wal = await archivedWal(deps.bucket, deps.keyring, config.storage.prefix, input.server);
        const upTo = await archivedUpTo(deps.bucket, wal, segmentBytes);
        if (upTo !== null && upTo >= parseLsn(record.lsn)) return { ...record, archivedUpTo: formatLsn(upTo) };
        if (Date.now() - started > wait)
          throw new WalArchiveError(
            `${input.server}: restore point "${input.name}" was made at LSN ${record.lsn}, but after ${Math.round(wait / 1000)} s the archive holds WAL only up to ${upTo === null ? 'nothing' : formatLsn(upTo)}: is archiving running? (pgwarden wal status); a restore to the point works once its WAL is archived`,
          );
        ctx.heartbeat({
          summary: `waiting for the archive to hold LSN ${record.lsn} (now ${upTo === null ? 'empty' : formatLsn(upTo)})`,
        });
        await new Promise((r) => setTimeout(r, 500));
      }
    },
  };
}

const taken = (r: RestorePointRecord) =>
  `restore point "${r.name}" of ${r.server} already exists (made ${r.createdAt} at LSN ${r.lsn}); choose another name`;

async function createPoint(client: Client, user: string, input: MarkRestorePointInput): Promise<RestorePointRecord> {
  const { rows } = await client
    .query<{ lsn: string; file: string; at: Date; system: string }>(
      `WITH p AS (SELECT pg_create_restore_point($1) AS lsn)
         SELECT p.lsn::text AS lsn, pg_walfile_name(p.lsn) AS file, clock_timestamp() AS at,
                (SELECT system_identifier::text FROM pg_control_system()) AS system
         FROM p`,
      [input.name],
    )
    .catch((err: Error & { code?: string }) => {
      if (err.code === '42501')
        throw new UsageError(
          `${input.server}: ${user} may not make restore points: GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO ${user} (as a superuser)`,
        );
      // A standby ("recovery is in progress"): said with what to do; wal_level minimal: the server's own words.
      if (err.code === '55000')
        throw new UsageError(
          /recovery is in progress/.test(err.message)
            ? `${input.server} is a standby (recovery is in progress), where no restore point can be made: make it on the primary (DATABASE_URL pointing at it)`
            : `${input.server}: ${err.message}`,
        );
      throw err;
    });
  const r = rows[0];
  return {
    kind: RESTORE_POINT_KIND,
    formatVersion: RESTORE_POINT_FORMAT_VERSION,
    server: input.server,
    name: input.name,
    lsn: formatLsn(parseLsn(r.lsn)),
    timeline: Number.parseInt(r.file.slice(0, 8), 16),
    createdAt: r.at.toISOString(),
    systemIdentifier: r.system,
    workflow: { id: input.workflowId, runId: input.runId },
  };
}
