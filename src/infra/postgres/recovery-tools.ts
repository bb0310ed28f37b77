/**
 * The programs that run a recovered copy on the worker's host, of the copy's own major
 * version, found before anything is fetched. They come with PostgreSQL's server package
 * (Debian's postgresql-<major>), not with the client tools most images install: without this
 * check such a worker would unpack a whole base backup and only then fail to start it.
 */
import { pgProgram } from './binaries';
import { runCommand } from '../process/run-command';
import { parseToolMajor } from './versions';

/** pg_ctl starts `postgres` beside it; pg_controldata reads the copy's limits; pg_verifybackup runs pg_waldump. */
export const RECOVERY_PROGRAMS = ['pg_ctl', 'postgres', 'pg_controldata', 'pg_waldump', 'pg_verifybackup'] as const;
/** An incremental base backup is put back together by pg_combinebackup first. */
export type RecoveryProgram = (typeof RECOVERY_PROGRAMS)[number] | 'pg_combinebackup';

export interface FoundProgram {
  name: RecoveryProgram;
  /** The major version it reports; undefined when it is missing or cannot run. */
  major: number | undefined;
}

/** Why these programs cannot recover a copy of `major` (or serve another purpose), in one line; undefined when they can. Pure. */
export function recoveryToolsProblem(
  major: number,
  found: FoundProgram[],
  purpose = `recovering a PostgreSQL ${major} copy`,
): string | undefined {
  const missing = found.filter((f) => f.major === undefined).map((f) => f.name);
  const other = found.filter((f) => f.major !== undefined && f.major !== major);
  if (!missing.length && !other.length) return undefined;
  const what = [
    missing.length ? `${missing.join(', ')} not found` : '',
    ...other.map((f) => `${f.name} is PostgreSQL ${f.major}'s`),
  ].filter(Boolean);
  return (
    `${purpose} needs PostgreSQL ${major}'s server programs on this worker's host (${what.join('; ')}): ` +
    `install them (Debian, Ubuntu: postgresql-${major}, from apt.postgresql.org where the release lacks it; the client tools alone cannot run a copy) or point PG_BIN_DIR at them`
  );
}

/** Each recovery program (or those named) as the worker would run it for a copy of `major`, asked for its version. */
export async function findRecoveryTools(
  major: number,
  pgBinDir?: string,
  names: readonly RecoveryProgram[] = RECOVERY_PROGRAMS,
): Promise<FoundProgram[]> {
  return Promise.all(
    names.map(async (name) => {
      const program = pgProgram(name, pgBinDir, (m) => m === major);
      const said = await runCommand(program, ['--version'], { timeoutMs: 10_000 }).then(
        (r) => r.stdout,
        () => undefined,
      );
      return { name, major: said === undefined ? undefined : parseToolMajor(said) };
    }),
  );
}
