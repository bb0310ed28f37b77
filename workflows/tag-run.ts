/**
 * The database and operation of a run, as search attributes the Temporal UI's list filters on.
 * The CLI sets them when it starts a run; set again here for runs started from the UI, a
 * schedule or a parent.
 */
import { upsertSearchAttributes } from '@temporalio/workflow';
import { DatabaseSA, OperationSA } from '../src/infra/temporal/search-attributes';

export function tagRun(database: string, operation: string): void {
  upsertSearchAttributes([
    { key: DatabaseSA, value: database },
    { key: OperationSA, value: operation },
  ]);
}
