/**
 * How the CLI reports a failure: one line per problem on stderr and an exit code from
 * the documented table. A failed workflow is traced to its root ApplicationFailure, whose
 * type names pgwarden's error class.
 */
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { ConfigError, exitCodeForFailureType, PgwardenError } from '../../infra/errors/errors';
import { ExitCode, ExitCodeValue } from '../../infra/errors/exit-codes';
import { innermostFailure } from '../../infra/temporal/root-cause';
import { unknownNamespace, unknownNamespaceProblem } from '../../infra/temporal/namespace';

export interface CliFailure {
  lines: string[];
  exitCode: ExitCodeValue;
}

export function describeFailure(err: unknown): CliFailure {
  if (err instanceof ConfigError) return { lines: err.problems.map((p) => `configuration: ${p}`), exitCode: err.exitCode };
  if (err instanceof PgwardenError) return { lines: [err.message], exitCode: err.exitCode };
  if (err instanceof WorkflowFailedError) {
    const cause = innermostFailure(err);
    if (cause instanceof ApplicationFailure) {
      return { lines: [cause.message], exitCode: exitCodeForFailureType(cause.type) };
    }
    const detail = cause === err ? 'unknown cause' : ((cause as Error)?.message ?? String(cause));
    return { lines: [`${err.message}: ${detail}`], exitCode: ExitCode.GeneralFailure };
  }
  // A TEMPORAL_NAMESPACE the server does not have shows only at the first call, as Temporal's words.
  const namespace = unknownNamespace(err);
  if (namespace !== undefined)
    return { lines: [`configuration: ${unknownNamespaceProblem(namespace)}`], exitCode: ExitCode.Config };
  const code = (err as { code?: string }).code;
  if (typeof code === 'string' && code.startsWith('commander.')) {
    return { lines: [], exitCode: ExitCode.Usage }; // commander already printed the problem
  }
  return { lines: [(err as Error)?.message ?? String(err)], exitCode: ExitCode.GeneralFailure };
}
