/**
 * The disaster-recovery runbook's automatic work: open the incident (defaults, the frozen
 * escalation matrix), identify the failure, propose a backup, check a chosen one, verify the
 * recovery, and send the escalation notices. Secrets (the health URL, webhooks, passwords)
 * are resolved here and never returned.
 */
import { Context, log } from '@temporalio/activity';
import { CatalogEntry } from '../src/operations/catalog/catalog';
import { needsRetrieval, retrievalEstimate } from '../src/operations/restore/restore-plan';
import { compareRowCounts, describeDifference } from '../src/operations/verify/verification';
import { connectDatabase } from '../src/infra/postgres/client';
import { requireDatabase, testRestoreServer } from '../src/infra/config/config';
import { BackupError, BackupNotFoundError, ConfigError } from '../src/infra/errors/errors';
import type { BackupProposal, Findings, RecoveryCheck } from '../src/operations/dr/incident';
import type { EscalationMatrix } from '../src/operations/dr/escalation';
import { IncidentBrief, incidentNotice, IncidentNoticeKind, incidentNoticeToSlack } from '../src/operations/dr/notices';
import { ChannelResult, emailRecipients } from '../src/infra/notify/notifier';
import { dropScratchDatabase } from './scratch-database';
import { type Notice, renderSlack } from '../src/infra/notify/notice';
import { callSlack } from '../src/infra/notify/slack-api';
import { slackUserByEmail } from '../src/infra/notify/slack-lookup';
import { backupWhoAt, matrixAt, shiftAt } from '../src/operations/dr/on-call';
import {
  handoverNotice,
  handoverRecipients,
  shiftReminderNotice,
  standInNotice,
  type StandInChange,
} from '../src/operations/dr/roster-notices';
import type { Handover, RotationOf, ShiftReminder } from '../src/operations/dr/handovers';
import { readStandIns } from '../src/operations/dr/roster';
import { withStandIns } from '../src/operations/dr/stand-ins';
import {
  SLACK_ACK_ACTION,
  SLACK_ESCALATE_ACTION,
  SLACK_RESPONDER_ACTION,
  SLACK_UPDATE_ACTION,
} from '../src/infra/notify/slack-interaction';
import { countAllTables, countRows, listTables } from '../src/infra/postgres/tables';
import { runLink } from '../src/infra/temporal/links';
import { DatabaseSA, IncidentStatusSA, OperationSA, SeveritySA } from '../src/infra/temporal/search-attributes';
import { hostQueueInput } from '../src/infra/config/wal';
import { UsageError } from '../src/infra/errors/errors';
import { archivedWal, baseBackups } from '../src/operations/pitr/archive';
import { describeTarget, targetAfterArchive, unrecordedPointWarning, type RecoveryTarget } from '../src/operations/pitr/target';
import { pointBeforeFailure, pointsBeforeFailure } from '../src/operations/dr/point-in-time';
import type { PointInTimeProposal } from '../src/operations/dr/incident';
import { describeTable, type TableName } from '../src/operations/table-recovery/names';
import type { Client } from 'pg';
import { ActivityDeps } from './deps';
import { openAtHandover, shiftRuns } from './handover-facts';
import { reviewShift } from '../src/operations/dr/shift-review';
import { chooseBaseFor, listedRestorePoints } from './restore-points';
import { deliver } from './notify';
import { actionToken } from '../src/infra/crypto/action-links';
import { proveReadKey } from './key-proof';
import { connectTo } from './recover-instance';

/** The notices that ask their readers to acknowledge: each mail carries its reader's own one-click link. */
const ACK_ASKED: ReadonlySet<IncidentNoticeKind> = new Set(['level1', 'level1-reminder', 'backup-oncall', 'responder']);

export interface OpenedIncident {
  database: string;
  matrix: EscalationMatrix;
  /** DR_DRILL_ESCALATE: a drill escalates beyond level 1 (absent in incidents recorded before drills). */
  drillEscalates?: boolean;
}

const hoursBetween = (from: string, to: Date) => Math.round(((to.getTime() - Date.parse(from)) / 3_600_000) * 10) / 10;
const entryFacts = (e: CatalogEntry | undefined, now: Date) =>
  e ? { backupId: e.backupId, takenAt: e.takenAt, ageHours: hoursBetween(e.takenAt, now) } : null;

export function incidentActivities(deps: ActivityDeps) {
  return {
    async openIncident(input: { database?: string; matrix?: string }): Promise<OpenedIncident> {
      const configured = deps.config.databases.map((d) => d.id);
      let database = input.database?.trim();
      if (!database) {
        if (configured.length !== 1)
          throw new ConfigError([
            `say which database failed: "database" is one of ${configured.join(', ') || 'none configured'}`,
          ]);
        database = configured[0];
      }
      requireDatabase(deps.config, database);
      const name = input.matrix?.trim() || 'default';
      const matrix = deps.config.incident.matrices[name];
      if (!matrix)
        throw new ConfigError([
          `escalation matrix "${name}" is not configured (known: ${Object.keys(deps.config.incident.matrices).join(', ')}); see ESCALATION_MATRICES`,
        ]);
      // Stand-ins set at run time (pgwarden dr oncall --stand-in) join the configured overrides. A roster
      // that does not answer must not hold the incident up: the rotation as configured alerts then.
      const roster = matrix.onCall
        ? await readStandIns(Context.current().client, deps.config.temporal.taskQueue)
        : { standIns: [] };
      if (roster.unread) log.warn(`incident opened with the configured rotation alone: ${roster.unread}`);
      return {
        database,
        // Frozen with whoever is on call now heading level 1.
        matrix: matrixAt(withStandIns(matrix, roster.standIns), deps.now()),
        drillEscalates: deps.config.incident.drillEscalates,
      };
    },

    /**
     * Tells the stand-in and whoever the configured rotation has on call when it begins that a
     * stand-in was set or removed (e-mail to both, Slack to the team's channel). Never paged.
     */
    async notifyStandIn(change: StandInChange): Promise<ChannelResult[]> {
      const rotation = deps.config.incident.matrices[change.standIn.matrix]?.onCall;
      const from = new Date(change.standIn.from);
      const inPlaceOf = !rotation ? undefined : change.standIn.backup ? backupWhoAt(rotation, from) : shiftAt(rotation, from).who;
      const to = [...new Set([change.standIn.who, ...(inPlaceOf ? [inPlaceOf] : [])])];
      return deliver(deps, standInNotice(change, inPlaceOf), to);
    },

    /** The rotations whose handovers the roster tells: none with ESCALATION_ONCALL_HANDOVERS=false. */
    async onCallRotations(): Promise<RotationOf[]> {
      if (!deps.config.incident.handovers) return [];
      return Object.values(deps.config.incident.matrices).flatMap((m) => (m.onCall ? [{ name: m.name, onCall: m.onCall }] : []));
    },

    /**
     * Tells whoever comes on call and whoever goes off (e-mail to both, Slack to the team's channel,
     * mentioning the one coming on call when the Slack app knows their address). Never paged.
     */
    async notifyHandover(handover: Handover): Promise<ChannelResult[]> {
      const { client, info } = Context.current();
      const since = handover.outgoingFrom;
      const runs = since ? await shiftRuns(client, info.taskQueue, since) : null;
      const review = since && runs ? reviewShift(runs.runs, since, runs.complete) : undefined;
      const notice = handoverNotice(handover, await openAtHandover(client, info.taskQueue), review);
      const app = deps.config.notifications.slackApp;
      const found = app ? await slackUserByEmail(app, handover.incoming) : null;
      if (found && 'none' in found) log.info('the person coming on call is not mentioned in Slack', { reason: found.none });
      return deliver(deps, found && 'id' in found ? { ...notice, mention: found.id } : notice, handoverRecipients(handover));
    },

    /** Reminds whoever comes on call next, by e-mail alone. */
    async notifyShiftReminder(reminder: ShiftReminder): Promise<ChannelResult[]> {
      return deliver(deps, shiftReminderNotice(reminder, deps.now()), [reminder.who], ['email']);
    },

    /**
     * A drill is refused while a real incident of the database is open: it would compete with
     * it for people and for the server. The one line names the incident.
     */
    async refuseDrillDuringIncident(input: { database: string; drillId: string }): Promise<void> {
      const client = Context.current().client;
      // Database ids are [a-z0-9_-] (config): safe inside the query's quotes.
      const query =
        `${OperationSA.name} = 'dr' AND ${IncidentStatusSA.name} = 'open' AND ${DatabaseSA.name} = '${input.database}'` +
        ` AND ${SeveritySA.name} != 'DRILL' AND ExecutionStatus = 'Running'`;
      for await (const run of client.workflow.list({ query })) {
        if (run.workflowId === input.drillId) continue;
        throw new UsageError(
          `a real incident of ${input.database} is open (${run.workflowId}): no drill while it is; run the drill after it closes`,
        );
      }
    },

    /** Drops the database a drill restored into (and only such a database). */
    async dropDrillDatabase(input: { database: string; name: string }): Promise<void> {
      await dropScratchDatabase(deps, input.database, input.name, 'drill');
    },

    async identifyFailure(input: { database: string }): Promise<Findings> {
      const now = deps.now();
      const target = requireDatabase(deps.config, input.database);
      let databaseReachable = false;
      let databaseDetail: string;
      try {
        const client = await connectDatabase(target, { connectTimeoutMs: 5000 });
        try {
          const tables = await listTables(client); // the tables a backup counts
          databaseReachable = true;
          databaseDetail = `reachable; ${tables.length} tables`;
        } finally {
          await client.end();
        }
      } catch (err) {
        databaseDetail = `not reachable: ${(err as Error).message}`;
      }
      const catalog = await deps.store.catalog(input.database);
      return {
        databaseReachable,
        databaseDetail,
        newestBackup: entryFacts(catalog[0], now),
        newestVerified: entryFacts(
          catalog.find((e) => e.verification.status === 'passed'),
          now,
        ),
      };
    },

    /** The newest verified backup taken before the failure; the newest complete one when none is verified. */
    async proposeBackup(input: { database: string; failureTime: string }): Promise<BackupProposal> {
      const candidates = (await deps.store.catalog(input.database)).filter(
        (e) => Date.parse(e.takenAt) < Date.parse(input.failureTime),
      );
      const verified = candidates.find((e) => e.verification.status === 'passed');
      const pick = verified ?? candidates[0];
      if (!pick)
        throw new BackupError(
          `no complete backup of ${input.database} was taken before the failure time ${input.failureTime}; choose one with pgwarden restore --list and select it by id, or skip the restore`,
        );
      const archived = needsRetrieval(pick.storageClass);
      return {
        backupId: pick.backupId,
        takenAt: pick.takenAt,
        verified: Boolean(verified),
        storageClass: pick.storageClass,
        retrieval: archived
          ? `in ${pick.storageClass}: an archive retrieval takes ${retrievalEstimate(pick.storageClass).hours} before the restore can start`
          : null,
        why: verified
          ? 'the newest verified backup taken before the failure'
          : 'the newest complete backup before the failure; none of those is verified',
      };
    },

    /** Confirms a chosen backup exists and is complete; the restore itself checks it again. */
    async describeBackupChoice(input: {
      database: string;
      backupId: string;
    }): Promise<{ backupId: string; takenAt: string; storageClass: string }> {
      const entry = (await deps.store.catalog(input.database)).find((e) => e.backupId === input.backupId);
      if (!entry)
        throw new BackupNotFoundError(
          `${input.backupId} is not a complete backup of ${input.database}; see pgwarden restore --list`,
        );
      return { backupId: entry.backupId, takenAt: entry.takenAt, storageClass: entry.storageClass };
    },

    /** Step 5: row counts against the manifest, the smoke queries, the health URL. */
    async verifyRecovery(input: {
      database: string;
      restoredInto: string;
      backupId?: string;
      /** Tables a table recovery brought back, with the rows it counted: counted again here. */
      tables?: { name: TableName; rows: number }[];
      /** Ask DR_HEALTH_URL too (default); a restore test's copy is not what the application uses. */
      health?: boolean;
      /** The copy is on the test-restore server (a restore test's, VERIFY_DATABASE_URL). */
      onTestServer?: boolean;
    }): Promise<RecoveryCheck[]> {
      const target = input.onTestServer
        ? testRestoreServer(deps.config, input.database)
        : requireDatabase(deps.config, input.database);
      const checks: RecoveryCheck[] = [];
      // Without a restore (step skipped) there is no manifest to count against: smoke checks only.
      const found = input.backupId ? await deps.store.manifest(input.database, input.backupId) : undefined;
      const client = await connectDatabase(target, { database: input.restoredInto });
      try {
        if (found) {
          const differences = compareRowCounts(found.manifest.tables, await countAllTables(client));
          checks.push({
            name: 'row counts',
            ok: differences.length === 0,
            detail:
              differences.length === 0
                ? `all ${found.manifest.tables.length} tables match the manifest`
                : differences.slice(0, 5).map(describeDifference).join('; '),
          });
        } else if (input.backupId) {
          checks.push({ name: 'row counts', ok: false, detail: `no manifest for ${input.backupId}` });
        }
        for (const t of input.tables ?? []) {
          const counted = await countRows(client, t.name).catch(() => null);
          checks.push({
            name: `rows of ${describeTable(t.name)}`,
            ok: counted?.rows === t.rows,
            detail: counted
              ? `${counted.rows} row(s)${counted.rows === t.rows ? '' : `, ${t.rows} recovered`}`
              : 'the table is not there',
          });
        }
        checks.push(...(await smokeChecks(client)));
      } finally {
        await client.end();
      }
      const url = input.health === false ? undefined : deps.config.incident.healthUrl?.reveal();
      if (url) {
        const host = new URL(url).host; // the URL may carry a token: only its host is reported
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
          checks.push({ name: 'health URL', ok: res.status === 200, detail: `${host} answered ${res.status}` });
        } catch (err) {
          checks.push({ name: 'health URL', ok: false, detail: `${host} did not answer: ${(err as Error).message}` });
        }
      }
      return checks;
    },

    /**
     * The point just before the failure when the server's WAL archive covers it (or the end of
     * the archive when that stops earlier), or why there is none. A server not archived has none.
     */
    async proposePointInTime(input: {
      database: string;
      failureTime: string;
    }): Promise<PointInTimeProposal | { unavailable: string }> {
      const { config } = deps;
      if (!config.wal.servers.includes(input.database))
        return { unavailable: `${input.database} is not in WAL_ARCHIVE: only its logical backups can be restored` };
      const [bases, archive] = await Promise.all([
        baseBackups(deps.bucket, config.storage.prefix, input.database),
        archivedWal(deps.bucket, deps.keyring, config.storage.prefix, input.database),
      ]);
      const point = pointBeforeFailure(
        input.database,
        bases,
        { segments: archive.segments.keys(), histories: archive.histories, newestStoredAt: archive.newestStoredAt },
        input.failureTime,
      );
      if ('unavailable' in point) return point;
      // The points only help choose: a record that cannot be read does not cost the proposal.
      const recorded = await listedRestorePoints(deps, input.database, bases).catch((err: Error) => {
        Context.current().log.warn(`restore points of ${input.database} not offered: ${err.message}`);
        return [];
      });
      const restorePoints = pointsBeforeFailure(recorded, input.failureTime);
      return { ...point, ...hostQueueInput(config, input.database), ...(restorePoints.length ? { restorePoints } : {}) };
    },

    /**
     * Checks, in seconds, that a point in time can be recovered: a base backup before it, WAL up
     * to it, its key here. `note`: what on-call should know about the choice (a restore point
     * pgwarden did not record is found only if made after the newest base backup).
     */
    async describePointInTime(input: {
      database: string;
      target: RecoveryTarget;
    }): Promise<{ backupId: string; takenAt: string; hostQueue?: string; note?: string }> {
      const { config } = deps;
      if (!config.wal.servers.includes(input.database))
        throw new UsageError(
          `${input.database} is not in WAL_ARCHIVE, so no point in time can be recovered; select a backup (pgwarden restore --list)`,
        );
      const chosen = await chooseBaseFor(deps, input.database, input.target);
      if ('problem' in chosen) throw new UsageError(`${input.database}: ${chosen.problem}`);
      const archive = await archivedWal(deps.bucket, deps.keyring, config.storage.prefix, input.database);
      const tooLate = targetAfterArchive(input.target, archive.newestStoredAt, chosen.base);
      if (tooLate) throw new UsageError(`${input.database}: ${tooLate.replace('--to latest', '"to": "latest"')}`);
      await proveReadKey(deps.bucket, deps.keyring, chosen.base.encryption.keyId);
      const note =
        [unrecordedPointWarning(chosen.target, chosen.base.backupId), chosen.note].filter(Boolean).join('; ') || undefined;
      return {
        backupId: chosen.base.backupId,
        takenAt: chosen.base.finishedAt,
        ...hostQueueInput(config, input.database),
        ...(note ? { note } : {}),
      };
    },

    /**
     * Step 5 for a point-in-time recovery, on the host of its new instance: promoted (writable),
     * the point it reached, and the smoke queries there. The health URL is not asked: the
     * application does not use the new instance yet.
     */
    async verifyPointInTime(input: { database: string; port: number; target: RecoveryTarget }): Promise<RecoveryCheck[]> {
      const server = requireDatabase(deps.config, input.database);
      const client = await connectTo({ ...server, host: '127.0.0.1', port: input.port }).catch((err: Error) => {
        throw new BackupError(`the recovered instance on port ${input.port} does not answer: ${err.message}`);
      });
      try {
        const { rows } = await client.query<{ recovering: boolean }>('SELECT pg_is_in_recovery() AS recovering');
        const checks: RecoveryCheck[] = [
          {
            name: 'promoted',
            ok: !rows[0].recovering,
            detail: rows[0].recovering
              ? `still replaying WAL toward ${describeTarget(input.target)}`
              : `recovered to ${describeTarget(input.target)} and accepting writes`,
          },
        ];
        checks.push(...(await smokeChecks(client)));
        return checks;
      } finally {
        await client.end().catch(() => undefined);
      }
    },

    /**
     * Keeps the incident's first Slack message (the thread's top, posted by the bot) saying where
     * it stands: step, lead, impact, levels alerted; its buttons while open, none once closed.
     * Slack's chat.update; a failure is reported, never thrown: the message is a view, not a notice.
     */
    async refreshIncidentMessage(input: { brief: IncidentBrief; thread: string; at: string }): Promise<ChannelResult> {
      const app = deps.config.notifications.slackApp;
      if (!app) return { channel: 'slack', ok: true, skipped: 'no Slack bot (SLACK_BOT_TOKEN)' };
      const link = incidentLink(input.brief.incidentId);
      const notice = incidentNotice('live', input.brief, new Date(input.at), link);
      const open = !input.brief.status || input.brief.status === 'open';
      const shown = renderSlack(open ? withButtons(notice, { kind: 'level1', brief: input.brief }) : notice);
      try {
        await callSlack(app, 'chat.update', {
          channel: app.channel,
          ts: input.thread,
          ...shown,
          ...(shown.blocks ? {} : { blocks: [] }),
        });
        return { channel: 'slack', ok: true, thread: input.thread };
      } catch (err) {
        return { channel: 'slack', ok: false, error: (err as Error).message };
      }
    },

    /** `at` is the workflow's time, so "open for 1.0 h" is right even on a time-skipping server. */
    async notifyIncident(input: {
      kind: IncidentNoticeKind;
      brief: IncidentBrief;
      /** The level's contacts; absent: NOTIFY_EMAIL_TO (an incident that could not open has no matrix). */
      to?: string[];
      at: string;
      /** The incident's Slack thread (its first message), when the bot posts. */
      thread?: string;
    }): Promise<ChannelResult[]> {
      const link = incidentLink(input.brief.incidentId);
      const toSlack = incidentNoticeToSlack(input.kind, input.brief, Boolean(deps.config.notifications.slackApp));
      const at = new Date(input.at);
      const recipients = emailRecipients(deps.config.notifications, input.to);
      // Only while nobody has acknowledged: a responder asked later joins whoever leads.
      const linked = deps.config.console.sessionSecret && ACK_ASKED.has(input.kind) && !input.brief.acknowledgedBy;
      if (!linked) {
        const notice = incidentNotice(input.kind, input.brief, at, link);
        return deliver(deps, withButtons(notice, input), input.to, toSlack ? undefined : ['email', 'pagerduty'], input.thread);
      }
      // Each mail asking for an acknowledgement has its reader's own link, so the timeline says who acknowledged; the
      // channel's message has no link (anyone there could use it as them), but the Slack button.
      const results: ChannelResult[] = [];
      for (const person of recipients)
        results.push(
          ...(await deliver(
            deps,
            incidentNotice(input.kind, input.brief, at, link, ackLinkFor(input, person)),
            [person],
            ['email'],
          )),
        );
      // The channel and the pager get the notice without anyone's link.
      const notice = incidentNotice(input.kind, input.brief, at, link);
      results.push(
        ...(await deliver(
          deps,
          withButtons(notice, input),
          undefined,
          toSlack ? ['slack', 'pagerduty'] : ['pagerduty'],
          input.thread,
        )),
      );
      return results;
    },
  };

  /** The incident in the Temporal UI, for its notices and its live message. */
  function incidentLink(incidentId: string): string | undefined {
    return runLink(deps.config.temporal.uiUrl, Context.current().info.workflowNamespace ?? 'default', incidentId);
  }

  /**
   * The console's one-click acknowledgement for a mail asking one (ACK_ASKED): a link signed for this incident
   * and this reader, expiring after CONSOLE_ACK_LINK_HOURS. Made here, at send time, so it is
   * never in the workflow's history; only when the console is configured (CONSOLE_SESSION_SECRET).
   */
  function ackLinkFor(input: { brief: IncidentBrief }, recipient: string): string {
    const c = deps.config.console;
    const by = `mail link to ${recipient}`;
    const exp = deps.now().getTime() + c.ackLinkHours * 3_600_000;
    const grant = { incidentId: input.brief.incidentId, by, exp, action: 'ack' as const, email: recipient };
    return `${c.publicUrl}/ack?t=${actionToken(grant, c.sessionSecret!.reveal())}`;
  }

  /**
   * With Slack's interactivity configured (SLACK_SIGNING_SECRET), level 1's Slack message carries
   * Acknowledge, and with the bot (which opens forms) Escalate…, Post update… and Ask for help…;
   * a reminder to post an update carries Post update…. The console answers them all.
   */
  function withButtons(notice: Notice, input: { kind: IncidentNoticeKind; brief: IncidentBrief }): Notice {
    if (!deps.config.console.slackSigningSecret) return notice;
    const id = input.brief.incidentId;
    const forms = Boolean(deps.config.notifications.slackApp);
    const ack = { text: 'Acknowledge', actionId: SLACK_ACK_ACTION, value: id, style: 'primary' as const };
    const escalate = { text: 'Escalate…', actionId: SLACK_ESCALATE_ACTION, value: id };
    const update = { text: 'Post update…', actionId: SLACK_UPDATE_ACTION, value: id };
    const responder = { text: 'Ask for help…', actionId: SLACK_RESPONDER_ACTION, value: id };
    const buttons =
      input.kind === 'level1'
        ? [...(input.brief.acknowledgedBy ? [] : [ack]), ...(forms ? [escalate, update, responder] : [])]
        : input.kind === 'backup-oncall' || (input.kind === 'responder' && !input.brief.acknowledgedBy)
          ? [ack]
          : input.kind === 'update-due' && forms
            ? [update]
            : [];
    return buttons.length ? { ...notice, buttons } : notice;
  }

  /** The configured smoke queries, each expected to return a row. */
  async function smokeChecks(client: Client): Promise<RecoveryCheck[]> {
    const checks: RecoveryCheck[] = [];
    for (const [i, sql] of deps.config.incident.smokeQueries.entries()) {
      Context.current().heartbeat(`smoke query ${i + 1}`);
      const name = `smoke query ${i + 1}`;
      try {
        const res = await client.query(sql);
        checks.push({
          name,
          ok: (res.rowCount ?? 0) > 0,
          detail: (res.rowCount ?? 0) > 0 ? `${res.rowCount} row(s)` : `returned no rows: ${sql.slice(0, 80)}`,
        });
      } catch (err) {
        checks.push({ name, ok: false, detail: `failed: ${(err as Error).message}` });
      }
    }
    return checks;
  }
}
