/**
 * ListBackupsWorkflow: the catalog of complete backups of a database, read on the worker so
 * that the operator's machine needs no S3 credentials (`pgwarden restore --list`).
 * RecoveryOptionsWorkflow: the same catalog and, for a server in WAL_ARCHIVE, its recoverable
 * window: what the console's backups page and an incident's selection step choose from.
 * PitrListWorkflow: a server's point-in-time archive, its base backups and window (`pgwarden pitr list`).
 */
import { patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';
import type { CatalogEntry } from '../src/operations/catalog/catalog';
import type { ListedRestorePoint } from '../src/operations/pitr/restore-points';
import type { PitrArchiveListing } from '../activities/pitr-archive';
import type { ListedBaseBackup, RecoverableWindow } from '../src/operations/pitr/window';

const { listBackups, pitrWindow, listRestorePoints, listPitrArchive, listBaseBackups, recoveryArchive } =
  proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: { maximumAttempts: 3 },
  });

const DATABASE_INPUT: InputSpec<{ database: string }> = { database: 'string' };
const SERVER_INPUT: InputSpec<{ server: string }> = { server: 'string' };

export async function ListBackupsWorkflow(input: { database: string }): Promise<CatalogEntry[]> {
  checkInput(WorkflowType.listBackups, DATABASE_INPUT, input);
  return listBackups(input);
}

export interface RecoveryOptions {
  backups: CatalogEntry[];
  /** From the oldest base backup to the newest stored WAL, or why there is none. */
  window: RecoverableWindow;
  /** The restore points recorded with pgwarden pitr mark, newest first (absent in runs from before them). */
  restorePoints?: ListedRestorePoint[];
  /** For a server in WAL_ARCHIVE, its base backups newest first, with their verifications (absent in runs from before them). */
  baseBackups?: ListedBaseBackup[];
}

export async function RecoveryOptionsWorkflow(input: { database: string }): Promise<RecoveryOptions> {
  checkInput(WorkflowType.recoveryOptions, DATABASE_INPUT, input);
  // The archive read once for the window, the restore points and the base backups, beside the catalog.
  if (patched('recovery-options-one-read')) {
    const [backups, archive] = await Promise.all([listBackups(input), recoveryArchive(input)]);
    return { backups, ...archive };
  }
  // Runs from before: three reads of the archive, as recorded.
  const points = patched('recovery-options-restore-points') ? listRestorePoints({ server: input.database }) : undefined;
  const bases = patched('recovery-options-base-backups') ? listBaseBackups(input) : undefined;
  const [backups, window] = await Promise.all([listBackups(input), pitrWindow({ server: input.database })]);
  return {
    backups,
    window,
    ...(points ? { restorePoints: await points } : {}),
    ...(bases ? { baseBackups: await bases } : {}),
  };
}

export async function PitrListWorkflow(input: { server: string }): Promise<PitrArchiveListing> {
  checkInput(WorkflowType.pitrList, SERVER_INPUT, input);
  return listPitrArchive(input);
}
