/** runIsDead and runIsOver with the activity's own client, for janitors inside activities. */
import { Context } from '@temporalio/activity';
import { RunRef, runIsDead, runIsOver } from '../src/infra/temporal/run-state';

export const isDead = (run: RunRef): Promise<boolean> => runIsDead(Context.current().client, run);

export const isOver = (run: RunRef): Promise<boolean> => runIsOver(Context.current().client, run);
