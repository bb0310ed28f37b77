/**
 * ListBackupsWorkflow: the catalog of complete backups of a database, read on the worker so
 * that the operator's machine needs no S3 credentials (`pgwarden restore --list`).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CatalogEntry } from '../src/operations/catalog/catalog';

const { listBackups } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export async function ListBackupsWorkflow(input: { database: string }): Promise<CatalogEntry[]> {
  return listBackups(input);
}
