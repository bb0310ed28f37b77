/**
 * A PostgreSQL client program's `--version` line, asked before it runs for real. A program
 * that cannot even say its version is the worker's installation, not the database: a
 * configuration failure (exit 78) that names the fix.
 */
import { ConfigError } from '../errors/errors';
import { runCommand } from '../process/run-command';

export async function toolVersion(name: string, program: string): Promise<string> {
  return runCommand(program, ['--version'], { timeoutMs: 10_000 }).then(
    (r) => r.stdout.trim(),
    (err: Error) => {
      throw new ConfigError([
        `${name} is not usable on this worker (${err.message}); install the PostgreSQL client tools or set PG_BIN_DIR`,
      ]);
    },
  );
}
