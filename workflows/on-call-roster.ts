/**
 * OnCallRosterWorkflow: the stand-ins set while pgwarden runs (pgwarden dr oncall
 * --stand-in), one run per deployment (onCallRosterId: its task queue) that holds them and answers who they
 * are. Its history is the audit trail of every swap: who set it, when, and who removed it.
 * Each change is told to the stand-in and to whoever the rotation had on call (notifyStandIn).
 * At each shift's end it tells whoever comes on call and whoever goes off (notifyHandover), with the
 * note the shift going off left for them (pgwarden dr oncall --handover-note), and
 * with ESCALATION_ONCALL_REMIND_HOURS reminds whoever comes next beforehand, and whoever takes the
 * backup rotation's next turn (notifyShiftReminder); the
 * configured rotations read again from the worker then and at least hourly, so that a redeploy's
 * new rotation is followed. Started by `pgwarden schedules apply` or the first stand-in
 * (update-with-start); continues as new after a few hundred changes or a week of shifts,
 * carrying only the stand-ins that have not ended, whom it last told and the notes not yet told.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StandInChange } from '../src/operations/dr/roster-notices';
import { OnCallRoster, type HandoverNoteRequest, type RosterState, type StandInRequest } from '../src/operations/dr/stand-ins';
import { typedFailure } from '../src/infra/temporal/failure';
import {
  addStandInUpdate,
  checkHandoversSignal,
  handoverNotesQuery,
  leaveHandoverNoteUpdate,
  removeStandInUpdate,
  standInsQuery,
} from '../src/operations/dr/roster-messages';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';

/** Changes per run before continuing as new: keeps the history short. */
const CHANGES_PER_RUN = 500;
/** Wake-ups per run before continuing as new: a week of hourly reads. */
const WAKES_PER_RUN = 24 * 7;
/** The longest wait between two reads of the configured rotations. */
const REREAD_MS = 3_600_000;
/**
 * Handover notices, added after rosters had been released: a roster from before keeps its old
 * loop while it replays, and takes the new one when next woken (checkHandoversSignal, sent by
 * `schedules apply`, or a stand-in change).
 */
const HANDOVERS = 'roster-handovers';
/** Reminders of the backup rotation's coming turns: a roster from before them told none, so replays as it was. */
const BACKUP_REMINDERS = 'roster-backup-reminders';

const { notifyStandIn, notifyHandover, notifyShiftReminder, onCallRotations } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

const ROSTER_INPUT: InputSpec<RosterState> = { standIns: 'array?', nextId: 'number?', told: 'object?', notes: 'array?' };

export async function OnCallRosterWorkflow(state: RosterState = {}): Promise<void> {
  checkInput(WorkflowType.onCallRoster, ROSTER_INPUT, state);
  const roster = new OnCallRoster(state);
  const untold: StandInChange[] = [];
  // A refusal is a UsageError the caller reads as one line; in a validator it leaves no trace in
  // the history, and the handlers check again so that a refusal never fails the workflow task.
  const refuse = (why: string | null) => {
    if (why) throw typedFailure('UsageError', why);
  };
  setHandler(standInsQuery, () => roster.current(new Date()));
  const canAdd = (req: StandInRequest) => refuse(roster.refusal(req, new Date()));
  setHandler(
    addStandInUpdate,
    (req) => {
      canAdd(req);
      const standIn = roster.add(req, new Date());
      untold.push({ change: 'set', standIn });
      return standIn;
    },
    { validator: canAdd },
  );
  const canRemove = (id: string) => refuse(roster.removal(id, new Date()));
  setHandler(
    removeStandInUpdate,
    (id) => {
      canRemove(id);
      const standIn = roster.remove(id, new Date());
      untold.push({ change: 'removed', standIn });
      return standIn;
    },
    { validator: canRemove },
  );
  setHandler(handoverNotesQuery, () => roster.notesLeft());
  const canLeaveNote = (req: HandoverNoteRequest) => refuse(roster.noteRefusal(req));
  setHandler(
    leaveHandoverNoteUpdate,
    (req) => {
      canLeaveNote(req);
      return roster.leaveNote(req, new Date());
    },
    { validator: canLeaveNote },
  );
  // Each change is told from here, not from its update, so the update answers at once.
  let wakes = 0;
  const full = () => roster.changes >= CHANGES_PER_RUN || wakes >= WAKES_PER_RUN || workflowInfo().continueAsNewSuggested;
  // Matrices whose stand-in change was told since the last handover check: that notice said who
  // is on call (a backup's stand-in says who is the backup, no handover).
  let saidByStandIn = new Set<string>();
  const onCallSaid = (changes: StandInChange[]) => changes.filter((c) => !c.standIn.backup).map((c) => c.standIn.matrix);
  const tellAll = async () => {
    for (let change = untold.shift(); change; change = untold.shift()) {
      for (const matrix of onCallSaid([change])) saidByStandIn.add(matrix);
      // A change in effect at once (within a minute: the CLI's clock) tells who is on call now: the
      // matrix's handover note goes with it.
      const atOnce = !change.standIn.backup && Date.parse(change.standIn.from) <= Date.now() + 60_000;
      const note = atOnce ? roster.noteFor(change.standIn.matrix) : undefined;
      // A notice that cannot go out must not end the roster, which holds who is on call.
      await notifyStandIn(note ? { ...change, note } : change).then(
        () => note && roster.noteTold(note),
        (err: unknown) => log.warn('a stand-in change was not told', { id: change!.standIn.id, err }),
      );
    }
  };
  /** Tells the handovers due now; how long until the next check. */
  const tellHandovers = async (): Promise<number> => {
    const rotations = await onCallRotations().catch((err: unknown) => {
      log.warn('the on-call rotations could not be read; handovers are checked again in 5 minutes', { err });
      return null;
    });
    if (!rotations) return 5 * 60_000;
    const now = new Date();
    // Changes still to be told (set while the rotations were read) will say it too.
    const said = new Set([...saidByStandIn, ...onCallSaid(untold)]);
    const { handovers, reminders, wakeAt } = roster.handovers(rotations, now, said, {
      backupReminders: patched(BACKUP_REMINDERS),
    });
    saidByStandIn = new Set();
    // A note whose notice could not go out waits for the next one.
    for (const handover of handovers)
      await notifyHandover(handover).then(
        () => handover.note && roster.noteTold(handover.note),
        (err: unknown) => log.warn('a handover was not told', { matrix: handover.matrix, err }),
      );
    for (const reminder of reminders)
      await notifyShiftReminder(reminder).catch((err: unknown) =>
        log.warn('a shift reminder was not told', { matrix: reminder.matrix, err }),
      );
    wakes++;
    return Math.max(1_000, Math.min(REREAD_MS, (wakeAt?.getTime() ?? Infinity) - now.getTime()));
  };
  let tellsHandovers = false;
  let recheck = false;
  setHandler(checkHandoversSignal, () => void (recheck = true));
  while (!full()) {
    const woken = () => untold.length > 0 || full() || recheck;
    tellsHandovers ||= patched(HANDOVERS);
    recheck = false;
    if (tellsHandovers) await condition(woken, await tellHandovers());
    // A roster from before handovers waits here as it did; woken (checkHandovers, a stand-in change), it takes them up.
    else await condition(woken);
    await tellAll();
  }
  await condition(allHandlersFinished);
  await tellAll();
  // What the last stand-in changes said is carried as told, not told again by the next run.
  if (tellsHandovers && saidByStandIn.size) await tellHandovers();
  await continueAsNew<typeof OnCallRosterWorkflow>(roster.snapshot(new Date()));
}
