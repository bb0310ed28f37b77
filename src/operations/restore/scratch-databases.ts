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

export function scratchDatabaseName(use: ScratchUse, runId: string): string {
  return `pgwarden_${use}_${runHash(runId)}`;
}

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
  const named = (running: boolean) =>
    new Set(runs.filter((r) => r.running === running).map((r) => scratchDatabaseName(r.use, r.workflowId)));
  const ended = named(false);
  const running = named(true);
  return {
    over: names.filter((n) => ended.has(n) && !running.has(n)),
    unknown: names.filter((n) => !ended.has(n) && !running.has(n)),
  };
}
