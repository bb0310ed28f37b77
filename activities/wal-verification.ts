/**
 * verify's read-back of the WAL archived since its last run (see walCheckPlan): each segment
 * fetched, decrypted and checked against the SHA-256 taken when it was archived, then every
 * record's CRC read by pg_waldump of the server's version, a batch of consecutive segments at
 * a time in a private folder under PGWARDEN_WORK_DIR (at most WAL_CHECK_BATCH + 1 segments on
 * disk). How far it got is kept in the bucket after each batch, so a retry or the next run
 * goes on from there; a segment that fails is read again by every run until it is mended.
 */
import { Context, log } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../src/infra/errors/errors';
import { pgProgram } from '../src/infra/postgres/binaries';
import { recoveryToolsProblem } from '../src/infra/postgres/recovery-tools';
import { parseToolMajor, serverMajor } from '../src/infra/postgres/versions';
import { CommandError, runCommand } from '../src/infra/process/run-command';
import { walVerificationKey } from '../src/infra/storage/layout';
import { formatBytes } from '../src/operations/backup/progress';
import { archivedWal, baseBackups } from '../src/operations/pitr/archive';
import { walVerificationNotice } from '../src/operations/pitr/notices';
import { openWalFile, WAL_PLAIN_SHA256 } from '../src/operations/pitr/wal-object';
import {
  WalCheckBatch,
  WalCheckedUpTo,
  walCheckPlan,
  waldumpFinding,
  WalVerification,
} from '../src/operations/pitr/wal-verification';
import { privateWorkDir, workFileName } from '../src/operations/restore/work-files';
import { ActivityDeps } from './deps';
import { deliver } from './notify';

/** Segments per pg_waldump run: 256 MiB of 16 MiB segments on disk, plus the lead. */
const WAL_CHECK_BATCH = 16;

interface StoredWalVerification {
  kind: 'pgwarden.wal-verification';
  formatVersion: 1;
  server: string;
  checked: WalCheckedUpTo;
  checkedAt: string;
  workflowId: string;
}

export function walVerificationActivities(deps: ActivityDeps) {
  return {
    /** null when VERIFY_WAL_SEGMENTS=0 on this worker. */
    async verifyArchivedWal(input: { server: string; workflowId: string; runId: string }): Promise<WalVerification | null> {
      const { config, bucket, keyring } = deps;
      if (config.verify.walSegments === 0) return null;
      const ctx = Context.current();
      const started = Date.now();
      const prefix = config.storage.prefix;
      const [wal, bases] = await Promise.all([
        archivedWal(bucket, keyring, prefix, input.server),
        baseBackups(bucket, prefix, input.server),
      ]);
      const result: WalVerification = {
        server: input.server,
        status: 'passed',
        segments: 0,
        bytes: 0,
        upTo: null,
        deferred: 0,
        failures: [],
        durationMs: 0,
      };
      // The server's version and segment size come from its newest base backup; before the first there is no window to check.
      const newest = [...bases].sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1))[0];
      if (!newest) return { ...result, durationMs: Date.now() - started };
      const { segmentBytes } = newest.serverInfo;
      const major = serverMajor(newest.serverInfo.versionNum);
      const waldump = pgProgram('pg_waldump', config.tools.pgBinDir, (m) => m === major);
      const said = await runCommand(waldump, ['--version'], { timeoutMs: 10_000 }).then(
        (r) => r.stdout,
        () => undefined,
      );
      const problem = recoveryToolsProblem(
        major,
        [{ name: 'pg_waldump', major: said ? parseToolMajor(said) : undefined }],
        `reading PostgreSQL ${major}'s archived WAL back`,
      );
      if (problem) throw new ConfigError([`${input.server}: ${problem}`]);

      const stateKey = walVerificationKey(prefix, input.server);
      const stored = await bucket.getText(stateKey);
      const checked: WalCheckedUpTo = stored ? (JSON.parse(stored) as StoredWalVerification).checked : {};
      const plan = walCheckPlan({
        segments: wal.segments.keys(),
        histories: wal.histories,
        checked,
        segmentBytes,
        batchSize: WAL_CHECK_BATCH,
        budget: config.verify.walSegments,
      });
      result.deferred = plan.deferred;
      const total = plan.batches.reduce((n, b) => n + b.segments.length, 0);
      const folder = join(
        await privateWorkDir(config.verify.workDir),
        workFileName({ workflowId: input.workflowId, runId: input.runId }, `wal-check-${input.server}`),
      );
      await rm(folder, { recursive: true, force: true });
      await mkdir(folder, { mode: 0o700 });
      const failedTimelines = new Set<number>();
      try {
        for (const batch of plan.batches) {
          if (failedTimelines.has(batch.timeline)) continue;
          const finding = await checkBatch(batch);
          if (finding) {
            result.failures.push(finding);
            failedTimelines.add(batch.timeline);
            continue;
          }
          const last = batch.segments[batch.segments.length - 1];
          checked[String(batch.timeline)] = last;
          result.segments += batch.segments.length;
          result.bytes += batch.segments.length * segmentBytes;
          result.upTo = last;
          const record: StoredWalVerification = {
            kind: 'pgwarden.wal-verification',
            formatVersion: 1,
            server: input.server,
            checked,
            checkedAt: new Date().toISOString(),
            workflowId: input.workflowId,
          };
          await bucket.putJson(stateKey, record);
          ctx.heartbeat({
            summary: `WAL read back: ${result.segments} of ${total} new segment(s), ${formatBytes(result.bytes)}, up to ${last}`,
          });
        }
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
      result.status = result.failures.length ? 'failed' : 'passed';
      result.durationMs = Date.now() - started;
      log.info('archived WAL read back', { server: input.server, segments: result.segments, failures: result.failures });
      if (result.status === 'failed') await deliver(deps, walVerificationNotice(result));
      return result;

      /** The batch's files in the folder (the lead kept from the batch before when it is there), checked; a finding or undefined. */
      async function checkBatch(batch: WalCheckBatch): Promise<string | undefined> {
        const wanted = [...(batch.lead ? [batch.lead] : []), ...batch.segments];
        for (const name of await readdir(folder)) if (!wanted.includes(name)) await rm(join(folder, name));
        const present = new Set(await readdir(folder));
        for (const name of wanted) {
          if (present.has(name)) continue;
          const finding = await fetchChecked(name);
          if (finding) return finding;
          ctx.heartbeat({ summary: `WAL read back: fetching ${name} (${result.segments} of ${total} checked)` });
        }
        const args = ['--quiet', '--path', folder, '--timeline', String(batch.timeline), '--start', batch.startLsn];
        try {
          await runCommand(waldump, [...args, '--end', batch.endLsn], { timeoutMs: 30 * 60_000 });
        } catch (err) {
          if (!(err instanceof CommandError)) throw err;
          return waldumpFinding(err.stderr, batch.timeline, segmentBytes, batch.segments[0]);
        }
        return undefined;
      }

      /** One segment decrypted into the folder, its bytes checked against what was archived. */
      async function fetchChecked(name: string): Promise<string | undefined> {
        const key = wal.segments.get(name)!;
        let plain: Buffer | undefined;
        try {
          plain = await openWalFile(bucket, key, keyring);
        } catch (err) {
          return `${name}: could not be read back (${(err as Error).message})`;
        }
        if (!plain) return `${name}: gone from the bucket while being checked`;
        if (plain.length !== segmentBytes) return `${name}: ${plain.length} bytes, not a whole segment (${segmentBytes})`;
        const recorded = (await bucket.head(key))?.Metadata?.[WAL_PLAIN_SHA256];
        if (recorded && createHash('sha256').update(plain).digest('hex') !== recorded)
          return `${name}: its bytes differ from those archived (SHA-256 recorded at archiving does not match)`;
        await writeFile(join(folder, name), plain, { mode: 0o600 });
        return undefined;
      }
    },
  };
}
