/**
 * Preflight: before any work, prove every dependency of a backup is there: the database
 * answers, the worker's pg_dump can dump it, the bucket exists and takes writes, the
 * encryption key is loaded. Configuration errors fail fast and clearly; transient ones
 * (a server restarting) are retried by Temporal.
 */
import { randomUUID } from 'node:crypto';
import { Context, log } from '@temporalio/activity';
import { handoversUntold } from '../src/operations/dr/roster';
import { backupGapWarnings } from '../src/operations/dr/on-call';
import { connectDatabase } from '../src/infra/postgres/client';
import { ServerRecovery, readServerRecovery, standbyWarnings } from '../src/infra/postgres/standby';
import { listTables } from '../src/infra/postgres/tables';
import { LockTable, lockTableWarning, readLockTable } from '../src/infra/postgres/lock-table';
import { requireDatabase } from '../src/infra/config/config';
import type { NotificationConfig, NotifyOn } from '../src/infra/config/notifications';
import type { IncidentSettings } from '../src/infra/config/incident';
import type { ChannelCheck } from '../src/infra/notify/notifier';
import type { LogFiles } from '../src/infra/logs/operation-logs';
import { BackupError, ConfigError } from '../src/infra/errors/errors';
import { installedBinDir, pgProgram } from '../src/infra/postgres/binaries';
import { dumpCompatibility, dumpFits, parseToolMajor, serverMajor } from '../src/infra/postgres/versions';
import { toolVersion } from '../src/infra/postgres/tool-version';
import { runCommand } from '../src/infra/process/run-command';
import { compressCommand, compressedByPgDump } from '../src/infra/compression/compression';
import { compressionMajor } from '../src/infra/postgres/dump-compression';
import { ActivityDeps } from './deps';
import { proveActiveKey } from './key-proof';
import { preflightProbeKey } from '../src/infra/storage/layout';

export interface PreflightInput {
  /** Configured database id (see `pgwarden check --database`). */
  database: string;
  /** Also check the notice channels, telling nobody anything (`pgwarden check`; not before each backup). */
  channels?: boolean;
}

export interface PreflightReport {
  database: string;
  host: string;
  serverVersion: string;
  serverMajor: number;
  pgDump: { path: string; version: string; major: number };
  /** BACKUP_COMPRESSION and where it runs with this pg_dump (inside it: gzip, and zstd/lz4 from 16). */
  compression: { algorithm: string; level: number; insidePgDump: boolean };
  storage: { bucket: string; prefix: string; endpoint?: string; writable: true };
  encryption: { algorithm: string; keyId: string };
  /** The channels configured, and what each is sent when not all (reports of older workers: all). */
  notifications: {
    email: boolean;
    slack: boolean;
    emailOn?: NotifyOn;
    slackOn?: NotifyOn;
    pagerDuty?: boolean;
    /** With `channels`: each channel checked (SMTP login, the Slack bot's token, PagerDuty's Events API). */
    checks?: ChannelCheck[];
  };
  /** The worker's log files and storage budget, when set (reports of older workers: not said). */
  logs?: LogFiles;
  budgetUsd?: number;
  /** The server is a standby (in recovery): backed up, but nothing can be restored into it. */
  standby?: boolean;
  /** What works today but may fail a run later, each with what to change (reports of older workers: none). */
  warnings?: string[];
  checkedAt: string;
}

export function preflightActivity(deps: ActivityDeps) {
  return async function preflight(input: PreflightInput): Promise<PreflightReport> {
    const { config } = deps;
    const target = requireDatabase(config, input.database);

    const client = await connectDatabase(target);
    let serverVersion: string;
    let versionNum: number;
    let recovery: ServerRecovery;
    let unlogged: string[] = [];
    let locks: LockTable;
    try {
      recovery = await readServerRecovery(client);
      locks = await readLockTable(client);
      if (recovery.inRecovery)
        unlogged = (await listTables(client)).filter((t) => t.unreadable).map((t) => `${t.schema}.${t.table}`);
      const { rows } = await client.query<{ v: string; n: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n",
      );
      serverVersion = rows[0].v;
      versionNum = Number(rows[0].n);
      // pg_dump refuses rows hidden by row-level security, and exact counts must see them all.
      const rls = await client.query<{ t: string; u: string }>(`
        SELECT format('%I.%I', n.nspname, c.relname) AS t, current_user AS u
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r
         WHERE c.relrowsecurity AND r.rolname = current_user AND NOT (r.rolsuper OR r.rolbypassrls)
           AND (c.relforcerowsecurity OR NOT pg_has_role(current_user, c.relowner, 'USAGE'))
         ORDER BY 1 LIMIT 1`);
      if (rls.rowCount) {
        const { t, u } = rls.rows[0];
        throw new BackupError(
          `table ${t} has row-level security the backup user "${u}" does not bypass, so a dump would miss rows: run ALTER ROLE "${u}" BYPASSRLS; as a superuser${recovery.inRecovery ? ' on the primary (this standby takes it from there)' : ''}`,
        );
      }
    } finally {
      await client.end();
    }
    log.info('database reachable', { database: target.id, serverVersion });

    // With versions side by side, the newest whose dumps fit this server.
    const server = serverMajor(versionNum);
    const pgDumpPath = pgProgram('pg_dump', config.tools.pgBinDir, dumpFits([server]));
    const pgDumpVersion = await toolVersion('pg_dump', pgDumpPath);
    const dumpMajor = parseToolMajor(pgDumpVersion);
    if (dumpMajor === undefined) throw new BackupError(`cannot read the version of ${pgDumpPath} ("${pgDumpVersion}")`);
    // The worker's tools do not fit the server: its installation, a configuration failure (exit 78).
    const compat = dumpCompatibility(dumpMajor, server, (major) => installedBinDir(major, config.tools.pgBinDir));
    if (!compat.ok) throw new ConfigError([compat.reason]);

    const compressing = compressCommand(config.backup.compression);
    if (compressing) {
      await runCommand(compressing.program, ['--version'], { timeoutMs: 10_000 }).catch((err: Error) => {
        throw new ConfigError([
          `${compressing.program} is not usable on this worker (${err.message}) but BACKUP_COMPRESSION=${config.backup.compression.algorithm}: install it (Debian: apt-get install ${compressing.program}) or choose another BACKUP_COMPRESSION`,
        ]);
      });
    }

    const { storage, encryption } = config;
    const bucket = deps.bucket;
    await bucket.checkReachable();
    // A bucket can exist yet refuse writes (policy, Object Lock defaults, quota): prove a write.
    const probeKey = preflightProbeKey(storage.prefix, randomUUID());
    await bucket.put(probeKey, 'pgwarden preflight\n');
    await bucket.delete(probeKey).catch((err: Error) => {
      log.warn('could not delete the preflight probe object', { key: probeKey, error: err.message });
    });

    await proveActiveKey(bucket, deps.keyring);
    const lockWarning = lockTableWarning(target.id, locks);
    // pgwarden check (channels asked): who is on call must hear of their shifts.
    const untold = input.channels ? await rosterWarning(config.incident) : null;
    const warnings = [
      ...standbyWarnings(`${target.host}:${target.port}`, recovery, Boolean(config.verify.server), unlogged),
      ...(lockWarning ? [lockWarning] : []),
      ...(untold ? [untold] : []),
      ...(input.channels ? backupGapWarnings(Object.values(config.incident.matrices), deps.now()) : []),
    ];
    for (const warning of warnings) log.warn(warning, { database: target.id });
    return {
      database: target.id,
      host: `${target.host}:${target.port}`,
      serverVersion,
      serverMajor: serverMajor(versionNum),
      pgDump: { path: pgDumpPath, version: pgDumpVersion, major: dumpMajor },
      compression: {
        ...config.backup.compression,
        insidePgDump: compressedByPgDump(
          config.backup.format,
          config.backup.compression,
          await compressionMajor(pgDumpPath, dumpMajor, config.backup.compression),
        ),
      },
      storage: { bucket: storage.bucket, prefix: storage.prefix, endpoint: storage.endpoint, writable: true },
      encryption: { algorithm: encryption.algorithm, keyId: encryption.activeKeyId },
      notifications: {
        ...channelsOf(config.notifications),
        ...(input.channels ? { checks: await deps.notifier.verify() } : {}),
      },
      ...(Object.values(config.logs).some(Boolean) ? { logs: config.logs } : {}),
      ...(config.report.budgetUsd !== undefined ? { budgetUsd: config.report.budgetUsd } : {}),
      standby: recovery.inRecovery,
      warnings,
      checkedAt: deps.now().toISOString(),
    };
  };
}

/** Why no handover would be told (handoversUntold); none where the activity has no Temporal client (a mock environment). */
async function rosterWarning(incident: IncidentSettings): Promise<string | null> {
  let client;
  try {
    client = Context.current().client;
  } catch {
    return null;
  }
  return handoversUntold(client, Context.current().info.taskQueue, incident);
}

/** What `check` says of notices: each channel, and its filter when it is not the default. */
function channelsOf(n: NotificationConfig): PreflightReport['notifications'] {
  return {
    email: Boolean(n.email),
    // A bot (SLACK_BOT_TOKEN) is Slack as much as a webhook is.
    slack: Boolean(n.slackWebhookUrl || n.slackApp),
    pagerDuty: Boolean(n.pagerDuty),
    ...(n.emailOn && n.emailOn !== 'all' ? { emailOn: n.emailOn } : {}),
    ...(n.slackOn && n.slackOn !== 'all' ? { slackOn: n.slackOn } : {}),
  };
}
