/**
 * All of pgwarden's activities, made from their dependencies. Workflows import only the
 * type: `proxyActivities<Activities>()`. Every activity's PgwardenErrors cross into Temporal
 * typed (see failures.ts).
 */
import { chooseBackupIdActivity } from './backup-id';
import { writeManifestActivity } from './backup-manifest';
import { ActivityDeps } from './deps';
import { dumpAndUploadActivity } from './dump-and-upload';
import { typedFailures } from './failures';
import { notifyBackupActivity } from './notify';
import { preflightActivity } from './preflight';
import { catalogActivities } from './catalog';
import { cleanupActivities } from './cleanup';
import { freshnessActivities } from './freshness';
import { restoreActivities } from './restore';
import { verifyActivities } from './verify';
import { recordActivities } from './records';
import { reportActivities } from './report';
import { incidentActivities } from './incident';
import { walArchiveActivities } from './wal-archive';
import { baseBackupActivities } from './base-backup';
import { pitrActivities } from './pitr';
import { walVerificationActivities } from './wal-verification';
import { tableRecoveryActivities } from './table-recovery';
import { evidenceActivities } from './evidence';
import { restoreTestActivities } from './restore-test';
import { restorePointActivities } from './restore-points';
import { pitrArchiveActivities } from './pitr-archive';

/** typedFailures for every function of a group. */
function typedAll<T extends Record<string, (...args: never[]) => Promise<unknown>>>(group: T): T {
  return Object.fromEntries(
    Object.entries(group).map(([name, fn]) => [name, typedFailures(fn as (...args: unknown[]) => Promise<unknown>)]),
  ) as unknown as T;
}

export function createActivities(deps: ActivityDeps) {
  return typedAll({
    preflight: preflightActivity(deps),
    chooseBackupId: chooseBackupIdActivity(deps),
    dumpAndUpload: dumpAndUploadActivity(deps),
    writeManifest: writeManifestActivity(deps),
    notifyBackup: notifyBackupActivity(deps),
    ...catalogActivities(deps),
    ...verifyActivities(deps),
    ...restoreActivities(deps),
    ...cleanupActivities(deps),
    ...freshnessActivities(deps),
    ...recordActivities(deps),
    ...reportActivities(deps),
    ...incidentActivities(deps),
    ...walArchiveActivities(deps),
    ...baseBackupActivities(deps),
    ...pitrActivities(deps),
    ...walVerificationActivities(deps),
    ...tableRecoveryActivities(deps),
    ...evidenceActivities(deps),
    ...restoreTestActivities(deps),
    ...restorePointActivities(deps),
    ...pitrArchiveActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type { PreflightInput, PreflightReport } from './preflight';
export type { DumpInput, DumpResult } from './dump-and-upload';
export type { ManifestInput } from './backup-manifest';
