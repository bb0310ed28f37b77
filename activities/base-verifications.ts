/**
 * The stored verifications of a server's base backups (FORMAT.md section 8), read for pitr
 * list, for choosing the base backup a restore starts from, and for cleanup's retention.
 */
import { log } from '@temporalio/activity';
import { baseVerificationKey } from '../src/infra/storage/layout';
import type { BaseBackupManifest } from '../src/operations/pitr/base-backup';
import { parseBaseVerification } from '../src/operations/pitr/base-verification';
import type { FailedBaseBackups } from '../src/operations/pitr/target';
import type { BaseVerificationSummary } from '../src/operations/pitr/window';
import { ActivityDeps } from './deps';

/** The latest verification of each base backup that has one, by id. */
export async function baseVerifications(
  deps: ActivityDeps,
  server: string,
  bases: BaseBackupManifest[],
): Promise<Map<string, BaseVerificationSummary>> {
  const found = new Map<string, BaseVerificationSummary>();
  for (const b of bases) {
    const v = await latestVerification(deps, server, b.backupId);
    if (v) found.set(b.backupId, v);
  }
  return found;
}

/** Base backups whose latest verification failed, with the day it did: what a restore passes over. */
export async function failedBaseBackups(
  deps: ActivityDeps,
  server: string,
  bases: BaseBackupManifest[],
): Promise<FailedBaseBackups> {
  return failedIn(await baseVerifications(deps, server, bases));
}

/** Of verifications already read, the failed ones with the day they failed. */
export function failedIn(verifications: ReadonlyMap<string, BaseVerificationSummary>): FailedBaseBackups {
  return new Map([...verifications].filter(([, v]) => v.status === 'failed').map(([id, v]) => [id, v.verifiedAt.slice(0, 10)]));
}

/** Of verifications already read, the base backups that passed. */
export function passedIn(verifications: ReadonlyMap<string, BaseVerificationSummary>): Set<string> {
  return new Set([...verifications].filter(([, v]) => v.status === 'passed').map(([id]) => id));
}

/** A base backup's latest verification; an unreadable record is logged and shown as none. */
async function latestVerification(
  deps: ActivityDeps,
  server: string,
  backupId: string,
): Promise<BaseVerificationSummary | undefined> {
  const key = baseVerificationKey(deps.config.storage.prefix, server, backupId);
  const text = await deps.bucket.getText(key);
  if (text === undefined) return undefined;
  try {
    const v = parseBaseVerification(text, key);
    return { status: v.status, verifiedAt: v.verifiedAt, failures: v.failures ?? [] };
  } catch (err) {
    log.warn('base backup verification record left out', { key, error: (err as Error).message });
    return undefined;
  }
}
