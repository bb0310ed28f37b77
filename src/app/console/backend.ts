/**
 * What the console reads and does, over the Temporal client: the open incidents (visibility,
 * then each one's state query) and a person's action as the incident's own Update, so the
 * workflow's validators decide and the timeline records who did it. No state of its own.
 */
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { IncidentState, Reach } from '../../operations/dr/incident';
import * as m from '../../operations/dr/messages';
import { OPEN_INCIDENTS_QUERY } from '../../infra/temporal/links';
import type { ConsoleAction } from './pages';
import type { Config } from '../../infra/config/config';
import { NoWorkerError, PgwardenError, UsageError } from '../../infra/errors/errors';
import { DatabaseSA, SeveritySA } from '../../infra/temporal/search-attributes';
import { requireWorker, workerPolls } from '../cli/no-worker';
import type { RecoveryOptions } from '../../../workflows/list-backups';
import { openIncident, OpenedIncident } from '../open-incident';
import { matrixAt, type OnCallNow, shiftsWithBackup, shiftView, type ShiftView } from '../../operations/dr/on-call';
import {
  leaveHandoverNote,
  noteRefusedBeforehand,
  readRoster,
  removeStandIn,
  setStandIn,
  standInRefusedBeforehand,
} from '../../operations/dr/roster';
import type { ShiftReview } from '../../operations/dr/shift-review';
import { shiftSoFar } from '../../operations/dr/shift-runs';
import {
  withStandIns,
  type HandoverNote,
  type HandoverNoteChange,
  type HandoverNoteRequest,
  type StandIn,
  type StandInRequest,
} from '../../operations/dr/stand-ins';
import { startInput } from '../cli/commands/dr';
import { startRun } from '../cli/start-run';

/** An action the incident refused (its validator's message), said on the page. */
export class ActionRefused extends Error {}

/** A rotation as the on-call page shows it: its shifts from now (ISO times) and the stand-ins set in it. */
export interface RotationView {
  matrix: string;
  /**
   * `backup`: whom an incident opened in that shift alerts when nobody acknowledges in time;
   * `backups`: its stretches when someone stands in as the backup within it.
   */
  shifts: ShiftView[];
  standIns: StandIn[];
  /** The note left for whoever comes on call next, not yet told. */
  note?: HandoverNote;
  /** Asked for (the On call page): the shift under way so far, as its handover will sum it up; null when visibility cannot be read. */
  review?: ShiftReview | null;
  /** Who an incident opened now alerts when level 1 has not acknowledged in time (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES). */
  backup?: { who: string; afterMinutes: number };
  /** The rotation asks for a backup on call: someone may stand in as it. */
  asksBackup?: true;
}

/** Every rotation, and why the stand-ins could not be read when they could not (the rotations as configured). */
export interface RosterView {
  rotations: RotationView[];
  unread?: string;
}

/** The open incidents: those whose worker answered, and those it did not (listed from visibility alone). */
export interface Board {
  incidents: IncidentState[];
  unanswered: Array<{ incidentId: string; database: string; severity: string }>;
}

export interface ConsoleBackend {
  /** The configured databases: what an incident can be opened for, each with a backups page. */
  databases(): string[];
  openIncidents(): Promise<Board>;
  incident(id: string): Promise<IncidentState | null>;
  /** `reach`: how to reach who acts, known to the console itself (a mail link's recipient, a Slack user), never from a form. */
  act(id: string, action: ConsoleAction, form: Record<string, string>, by: string, reach?: Reach): Promise<IncidentState>;
  /** Opens an incident as `by` (the CLI's `dr start`); its id once a worker sent level 1. */
  open(form: Record<string, string>, by: string): Promise<OpenedIncident>;
  /** A database's backups and recoverable window, read on a worker; null for an unknown database. */
  recoveryOptions(database: string): Promise<RecoveryOptions | null>;
  /** Who is on call at `at` in each matrix with a rotation (ESCALATION_ONCALL), stand-ins set at run time included. */
  onCall(at: Date): Promise<OnCallNow[]>;
  /** The on-call page: each rotation's `count` shifts from `at` and its stand-ins; with `review`, each shift so far. */
  roster(at: Date, count: number, o?: { review?: boolean }): Promise<RosterView>;
  /** Puts someone on call in a rotation's place (Slack's `/pgwarden oncall cover`); refused with ActionRefused. */
  standIn(req: StandInRequest): Promise<StandIn>;
  /** Takes a stand-in back by its id (`/pgwarden oncall remove s1`); refused with ActionRefused. */
  removeStandIn(id: string): Promise<StandIn>;
  /** Leaves a matrix's handover note, or takes it back (empty text); refused with ActionRefused. */
  leaveHandoverNote(req: HandoverNoteRequest): Promise<HandoverNoteChange>;
}

/** A form's fields as the Update's input: what the CLI's flags give, from text boxes. */
export function actionInput(
  action: ConsoleAction,
  form: Record<string, string>,
  by: string,
  reach?: Reach,
): Record<string, unknown> {
  const given = (name: string) => (form[name]?.trim() ? form[name].trim() : undefined);
  switch (action) {
    case 'ack':
      return { by, ...(form.takeOver === 'yes' ? { takeOver: true } : {}), ...(reach ? { reach } : {}) };
    case 'assess':
      return {
        by,
        dataLossScope: form.scope ?? '',
        // An unanswered question stays missing, so the validator says it is required.
        customerImpact: form.customerImpact === 'yes' ? true : form.customerImpact === 'no' ? false : undefined,
        ...(given('notes') ? { notes: given('notes') } : {}),
      };
    case 'select': {
      const tables = given('tables')
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      return {
        by,
        ...(given('backupId') ? { backupId: given('backupId') } : {}),
        ...(given('newDatabase') ? { newDatabase: given('newDatabase') } : {}),
        ...(given('to') ? { to: given('to') } : {}),
        ...(given('toName') ? { toName: given('toName') } : {}),
        ...(tables?.length ? { tables } : {}),
        ...(form.replace === 'yes' ? { replace: true } : {}),
      };
    }
    case 'approve':
    case 'resume':
      return { by, ...(given('note') ? { note: given('note') } : {}) };
    case 'retry':
    case 'skip':
    case 'abort':
      return { by, reason: form.reason ?? '' };
    case 'note':
      return { by, text: form.text ?? '', ...(form.tell === 'yes' ? { tell: true } : {}) };
    case 'escalate':
      // A level that is not 2 or 3 is passed on as it came: the validator says what is wrong.
      return { by, level: form.level === '2' ? 2 : form.level === '3' ? 3 : form.level, reason: form.reason ?? '' };
    case 'responder':
      return { by, who: form.who?.trim() ?? '', reason: form.reason ?? '' };
  }
}

const UPDATES = {
  ack: m.acknowledgeUpdate,
  assess: m.assessUpdate,
  select: m.selectBackupUpdate,
  approve: m.approveIncidentRestoreUpdate,
  resume: m.resumeUpdate,
  retry: m.retryStepUpdate,
  skip: m.skipStepUpdate,
  abort: m.abortUpdate,
  note: m.noteUpdate,
  escalate: m.escalateUpdate,
  responder: m.addResponderUpdate,
} as const;

/** Seconds a database's backups stay cached: a page view does not start a workflow each time. */
const OPTIONS_TTL_MS = 15_000;
/** How long a page waits for an incident's worker to answer its state query. */
const ANSWER_MS = 5_000;

const deadlineExceeded = (err: unknown) =>
  /deadline/i.test(`${(err as Error).message} ${((err as Error).cause as Error | undefined)?.message ?? ''}`);

/** The roster's refusals (UsageError) as the console's: one line for the person who asked. */
async function rosterRefusals<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (err) {
    if (err instanceof UsageError) throw new ActionRefused(err.message);
    throw err;
  }
}

export function temporalBackend(client: Client, config: Config): ConsoleBackend {
  /** The incident's state from its worker; a worker that does not answer is said, not waited for. */
  const state = async (id: string) => {
    try {
      return await client.withDeadline(Date.now() + ANSWER_MS, () => client.workflow.getHandle(id).query(m.incidentStateQuery));
    } catch (err) {
      if (deadlineExceeded(err))
        throw new NoWorkerError(
          `no worker answered for ${id} within ${ANSWER_MS / 1000} s, so its state cannot be shown and nothing can be recorded; start one (pgwarden worker)`,
        );
      throw err;
    }
  };
  const cached = new Map<string, { at: number; options: Promise<RecoveryOptions> }>();
  const roster = async (at: Date, count: number, o: { review?: boolean } = {}): Promise<RosterView> => {
    const rotations = Object.values(config.incident.matrices).filter((matrix) => matrix.onCall);
    if (!rotations.length) return { rotations: [] };
    const queue = config.temporal.taskQueue;
    const read = await readRoster(client, queue);
    return {
      rotations: await Promise.all(
        rotations.map(async (matrix) => {
          const standIns = read.standIns.filter((s) => s.matrix === matrix.name);
          const current = withStandIns(matrix, standIns);
          const rotation = current.onCall!;
          const shifts = shiftsWithBackup(current, at, count);
          const note = read.notes.find((n) => n.matrix === matrix.name);
          const backup = matrixAt(current, at).onCallBackup;
          return {
            matrix: matrix.name,
            shifts: shifts.map(shiftView),
            standIns,
            ...(note ? { note } : {}),
            ...(backup ? { backup } : {}),
            ...(rotation.backupAfterMinutes ? { asksBackup: true as const } : {}),
            ...(o.review ? { review: await shiftSoFar(client, queue, rotation, at) } : {}),
          };
        }),
      ),
      ...(read.unread ? { unread: read.unread } : {}),
    };
  };
  return {
    databases: () => config.databases.map((d) => d.id),
    async onCall(at) {
      const { rotations, unread } = await roster(at, 2);
      return rotations.map(({ matrix, shifts: [shift, next], note, backup }) => ({
        matrix,
        who: shift.who,
        until: shift.until,
        next: next.who,
        ...(unread ? { unread } : {}),
        ...(note ? { note: { text: note.text, by: note.by } } : {}),
        ...(backup ? { backup } : {}),
      }));
    },
    roster,
    async standIn(req) {
      const refused = standInRefusedBeforehand(req.matrix, config.incident.matrices[req.matrix], !!req.backup);
      if (refused) throw new ActionRefused(refused);
      const queue = config.temporal.taskQueue;
      await requireWorker(client, queue, 'the stand-in cannot be recorded');
      return rosterRefusals(() => setStandIn(client, queue, req));
    },
    async leaveHandoverNote(req) {
      const refused = noteRefusedBeforehand(req.matrix, config.incident.matrices[req.matrix], config.incident.handovers);
      if (refused) throw new ActionRefused(refused);
      const queue = config.temporal.taskQueue;
      await requireWorker(client, queue, 'the handover note cannot be recorded');
      return rosterRefusals(() => leaveHandoverNote(client, queue, req));
    },
    async removeStandIn(id) {
      const queue = config.temporal.taskQueue;
      await requireWorker(client, queue, 'the stand-in cannot be taken back');
      return rosterRefusals(() => removeStandIn(client, queue, id));
    },
    async open(form, by) {
      const database = form.database ?? '';
      if (!config.databases.some((d) => d.id === database))
        throw new ActionRefused(`${database || 'no database'}: choose one of ${config.databases.map((d) => d.id).join(', ')}`);
      try {
        const input = startInput(
          {
            summary: form.summary,
            severity: form.severity || undefined,
            failureTime: form.failureTime?.trim() || undefined,
            as: by,
          },
          database,
          {},
        );
        return await openIncident(client, config, input);
      } catch (err) {
        // Refusals and "no worker" are the person's to read; anything else is the console's failure.
        if (err instanceof PgwardenError) throw new ActionRefused(err.message.replace(/--(\w[\w-]*)/g, '$1'));
        throw err;
      }
    },
    async recoveryOptions(database) {
      if (!config.databases.some((d) => d.id === database)) return null;
      const hit = cached.get(database);
      if (hit && Date.now() - hit.at < OPTIONS_TTL_MS) return hit.options;
      await requireWorker(client, config.temporal.taskQueue, 'the backups cannot be read');
      const options = startRun(client, config, {
        workflow: 'recoveryOptions',
        operation: 'list',
        database,
        args: [{ database }],
        uniqueId: true,
        callerChecksWorker: true,
      }).then(({ handle }) => handle.result());
      cached.set(database, { at: Date.now(), options });
      options.catch(() => cached.delete(database));
      return options;
    },
    async openIncidents() {
      const runs = [];
      for await (const run of client.workflow.list({ query: OPEN_INCIDENTS_QUERY })) runs.push(run);
      const board: Board = { incidents: [], unanswered: [] };
      // Asked together, so one incident without a worker costs the page seconds, not seconds each.
      const states = await Promise.all(runs.map((r) => state(r.workflowId).catch(() => null)));
      runs.forEach((run, i) => {
        const s = states[i];
        if (s) board.incidents.push(s);
        else
          board.unanswered.push({
            incidentId: run.workflowId,
            database: run.typedSearchAttributes.get(DatabaseSA) ?? '',
            severity: run.typedSearchAttributes.get(SeveritySA) ?? '',
          });
      });
      board.incidents.sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
      return board;
    },
    async incident(id) {
      try {
        return await state(id);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
    async act(id, action, form, by, reach) {
      // An Update nobody answers would hang the page: refuse at once, like the CLI.
      const { taskQueue, status } = await client.workflow.getHandle(id).describe();
      if (status.name !== 'RUNNING') throw new ActionRefused(`${id} is closed; nothing more can be recorded`);
      if (!(await workerPolls(client, taskQueue, 2000)))
        throw new ActionRefused(
          `no worker is polling task queue "${taskQueue}", so nothing can be recorded; start one (pgwarden worker)`,
        );
      try {
        // The Update's own type checks the input; the workflow's validator checks its values.
        return await client.workflow.getHandle(id).executeUpdate(UPDATES[action] as typeof m.acknowledgeUpdate, {
          args: [actionInput(action, form, by, reach) as never],
        });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new ActionRefused((err.cause as Error | undefined)?.message ?? err.message);
        if (/already completed/i.test((err as Error).message))
          throw new ActionRefused(`${id} is closed; nothing more can be recorded`);
        throw err;
      }
    },
  };
}
