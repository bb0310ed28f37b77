/** runIsDead and runState with the activity's own client, for janitors inside activities. */
import { Context } from '@temporalio/activity';
import { RunRef, runIsDead, runState, type RunState } from '../src/infra/temporal/run-state';

export const isDead = (run: RunRef): Promise<boolean> => runIsDead(Context.current().client, run);

export const stateOf = (run: RunRef): Promise<RunState> => runState(Context.current().client, run);
