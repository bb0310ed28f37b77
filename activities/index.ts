/**
 * All of pgwarden's activities, made from their dependencies. Workflows import only the
 * type: `proxyActivities<Activities>()`.
 */
import { ActivityDeps } from './deps';
import { typedFailures } from './failures';
import { writeManifestActivity } from './backup-manifest';
import { dumpAndUploadActivity } from './dump-and-upload';
import { notifyBackupActivity } from './notify';
import { preflightActivity } from './preflight';

export function createActivities(deps: ActivityDeps) {
  return {
    preflight: typedFailures(preflightActivity(deps)),
    dumpAndUpload: typedFailures(dumpAndUploadActivity(deps)),
    writeManifest: typedFailures(writeManifestActivity(deps)),
    notifyBackup: notifyBackupActivity(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { PreflightInput, PreflightReport } from './preflight';
export type { DumpInput, DumpResult } from './dump-and-upload';
export type { ManifestInput } from './backup-manifest';
