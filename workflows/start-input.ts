/**
 * The first step of every workflow: its start input checked (src/infra/temporal/input-problem.ts),
 * so a run started from the Temporal UI with a missing or mistyped field fails at once with a
 * UsageError that names it. Behind a patch: runs recorded before it replay as they ran.
 */
import { patched } from '@temporalio/workflow';
import { inputProblem, type InputSpec } from '../src/infra/temporal/input-problem';
import { typedFailure } from '../src/infra/temporal/failure';

/** Also the DR workflow's, which checks its input beside its own opening rules. */
export const START_INPUT_CHECKED = 'start-input-checked';

export function checkInput<T>(workflow: string, spec: InputSpec<T>, input: T): void {
  if (!patched(START_INPUT_CHECKED)) return;
  const problem = inputProblem(workflow, spec, input);
  if (problem) throw typedFailure('UsageError', problem);
}
