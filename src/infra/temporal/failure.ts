/**
 * A pgwarden failure as Temporal carries it: an ApplicationFailure whose type is one of the
 * failure table's (src/infra/errors/errors.ts), so the CLI's exit code follows it across workflows.
 * Workflow-safe.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { FailureType } from '../errors/errors';

export function typedFailure(type: FailureType, message: string, nonRetryable = true): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable });
}
