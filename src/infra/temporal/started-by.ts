/**
 * Who asked for a run, for the evidence a recovery leaves in the bucket (kept when Temporal's
 * history is gone): the identity its start request carried (the CLI's `pgwarden <user>@<host>
 * pid N`, the console's, the Web UI's), the schedule that started it, or the run that started
 * it as a child (an incident's restore), followed up to the request.
 */
import { defaultPayloadConverter, type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type StartedAttributes = temporal.api.history.v1.IWorkflowExecutionStartedEventAttributes;
export type Starter = { by: string } | { parent: { workflowId: string; runId: string } } | { firstRunId: string } | null;

/** What a run's first event says of who started it. Pure. */
export function starterOf(started: StartedAttributes, runId: string): Starter {
  const parent = started.parentWorkflowExecution;
  if (parent?.workflowId && parent.runId) return { parent: { workflowId: parent.workflowId, runId: parent.runId } };
  // A run continued as new (or retried) was started by its worker: the chain's first run was asked for.
  if (started.firstExecutionRunId && started.firstExecutionRunId !== runId) return { firstRunId: started.firstExecutionRunId };
  const schedule = started.searchAttributes?.indexedFields?.TemporalScheduledById;
  if (schedule) return { by: `schedule ${defaultPayloadConverter.fromPayload<string>(schedule)}` };
  return started.identity ? { by: started.identity } : null;
}

/** Who started the run, or null when Temporal cannot say (history gone, not reachable): evidence is stored all the same. */
export async function startedBy(client: Client, run: { workflowId: string; runId: string }, hops = 4): Promise<string | null> {
  let started: StartedAttributes | null | undefined;
  try {
    const { history } = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: run,
      maximumPageSize: 1,
    });
    started = history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  } catch {
    return null;
  }
  const starter = started ? starterOf(started, run.runId) : null;
  if (!starter) return null;
  if ('by' in starter) return starter.by;
  if (hops === 0) return null;
  if ('firstRunId' in starter) return startedBy(client, { workflowId: run.workflowId, runId: starter.firstRunId }, hops - 1);
  const above = await startedBy(client, starter.parent, hops - 1);
  return `${above ?? 'unknown'}, through ${starter.parent.workflowId}`;
}
