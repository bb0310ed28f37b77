/**
 * OnCallRosterWorkflow: the stand-ins set while pgwarden runs (pgwarden dr oncall
 * --stand-in), one run per deployment (onCallRosterId: its task queue) that holds them and answers who they
 * are. Its history is the audit trail of every swap: who set it, when, and who removed it.
 * Each change is told to the stand-in and to whoever the rotation had on call (notifyStandIn).
 * Started by the first stand-in (update-with-start); continues as new after a few hundred
 * changes, carrying only the stand-ins that have not ended.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { StandInChange } from '../src/operations/dr/stand-in-notices';
import { OnCallRoster, type RosterState, type StandInRequest } from '../src/operations/dr/stand-ins';
import { typedFailure } from '../src/infra/temporal/failure';
import { addStandInUpdate, removeStandInUpdate, standInsQuery } from '../src/operations/dr/roster-messages';
import type { InputSpec } from '../src/infra/temporal/input-problem';
import { WorkflowType } from '../src/infra/temporal/definitions';
import { checkInput } from './start-input';

/** Changes per run before continuing as new: keeps the history short. */
const CHANGES_PER_RUN = 500;

const { notifyStandIn } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { maximumAttempts: 3 } });

const ROSTER_INPUT: InputSpec<RosterState> = { standIns: 'array?', nextId: 'number?' };

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
  // Each change is told from here, not from its update, so the update answers at once.
  const full = () => roster.changes >= CHANGES_PER_RUN || workflowInfo().continueAsNewSuggested;
  const tellAll = async () => {
    for (let change = untold.shift(); change; change = untold.shift())
      // A notice that cannot go out must not end the roster, which holds who is on call.
      await notifyStandIn(change).catch((err: unknown) =>
        log.warn('a stand-in change was not told', { id: change!.standIn.id, err }),
      );
  };
  while (!full()) {
    await condition(() => untold.length > 0 || full());
    await tellAll();
  }
  await condition(allHandlersFinished);
  await tellAll();
  await continueAsNew<typeof OnCallRosterWorkflow>(roster.snapshot(new Date()));
}
