/**
 * The temporary databases pgwarden restores into and drops itself: a restore test's, a drill's,
 * and a table recovery's from a logical backup. Each is named for its run (the same for every
 * attempt, so a retry finds its own) with a prefix for its use, so a drop can check that it is
 * one of these and never reach a database a person named. Pure: workflows name them too.
 */
import { runHash } from '../backup/naming';

export type ScratchUse = 'restoretest' | 'drill' | 'tables';

const WHOSE: Record<ScratchUse, string> = {
  restoretest: "a restore test's",
  drill: "a drill's",
  tables: "a table recovery's",
};

/**
 * `runId` (runs since `scratch-name-per-run`): the name differs for each run even under the same
 * workflow id, which schedules make from the database id and the time, so deployments sharing
 * a test-restore server never meet on one name. Runs before it are named for their id alone.
 */
export function scratchDatabaseName(use: ScratchUse, workflowId: string, runId?: string): string {
  return `pgwarden_${use}_${runHash(runId ? `${workflowId}/${runId}` : workflowId)}`;
}

/** The patch under which a run names its temporary database for its run, not only its id. */
export const SCRATCH_NAME_PER_RUN = 'scratch-name-per-run';

/** Null when `name` is a temporary database of that use, else why it must not be dropped. */
export function notScratch(name: string, use: ScratchUse): string | null {
  return new RegExp(`^pgwarden_${use}_[0-9a-f]{16}$`).test(name) ? null : `${name} is not ${WHOSE[use]} temporary database`;
}

/** A LIKE pattern matching every temporary database of these uses (for a janitor's query). */
export const scratchLike = (use: ScratchUse) => `pgwarden\\_${use}\\_%`;

/** A run of a workflow that makes temporary databases, as Temporal lists it. */
export interface ScratchRun {
  use: ScratchUse;
  workflowId: string;
  runId: string;
  running: boolean;
}

/**
 * The temporary databases among `names` a janitor may drop (`over`): those of runs that this
 * Temporal lists as over, none running under the same id. Those no listed run names
 * (`unknown`) stay: another deployment's on a shared test-restore server (its runs are in its
 * own Temporal), one of a run too new to be listed yet, or one of a run past the namespace's
 * retention. Pure.
 */
export function scratchOfEndedRuns(names: string[], runs: ScratchRun[]): { over: string[]; unknown: string[] } {
  // A run names its database for its run, or (before scratch-name-per-run) for its id alone.
  const named = (running: boolean) =>
    new Set(
      runs
        .filter((r) => r.running === running)
        .flatMap((r) => [scratchDatabaseName(r.use, r.workflowId, r.runId), scratchDatabaseName(r.use, r.workflowId)]),
    );
  const ended = named(false);
  const running = named(true);
  return {
    over: names.filter((n) => ended.has(n) && !running.has(n)),
    unknown: names.filter((n) => !ended.has(n) && !running.has(n)),
  };
}
