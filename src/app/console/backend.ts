/**
 * What the console reads and does, over the Temporal client: the open incidents (visibility,
 * then each one's state query) and a person's action as the incident's own Update, so the
 * workflow's validators decide and the timeline records who did it. No state of its own.
 */
import { Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { IncidentState } from '../../operations/dr/incident';
import * as m from '../../operations/dr/messages';
import { OPEN_INCIDENTS_QUERY } from '../../infra/temporal/links';
import type { ConsoleAction } from './pages';

/** An action the incident refused (its validator's message), said on the page. */
export class ActionRefused extends Error {}

export interface ConsoleBackend {
  openIncidents(): Promise<IncidentState[]>;
  incident(id: string): Promise<IncidentState | null>;
  act(id: string, action: ConsoleAction, form: Record<string, string>, by: string): Promise<IncidentState>;
}

/** A form's fields as the Update's input: what the CLI's flags give, from text boxes. */
export function actionInput(action: ConsoleAction, form: Record<string, string>, by: string): Record<string, unknown> {
  const given = (name: string) => (form[name]?.trim() ? form[name].trim() : undefined);
  switch (action) {
    case 'ack':
      return { by };
    case 'assess':
      return {
        by,
        dataLossScope: form.scope ?? '',
        // An unanswered question stays missing, so the validator says it is required.
        customerImpact: form.customerImpact === 'yes' ? true : form.customerImpact === 'no' ? false : undefined,
        ...(given('notes') ? { notes: given('notes') } : {}),
      };
    case 'select': {
      const tables = given('tables')
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      return {
        by,
        ...(given('backupId') ? { backupId: given('backupId') } : {}),
        ...(given('newDatabase') ? { newDatabase: given('newDatabase') } : {}),
        ...(given('to') ? { to: given('to') } : {}),
        ...(tables?.length ? { tables } : {}),
        ...(form.replace === 'yes' ? { replace: true } : {}),
      };
    }
    case 'approve':
    case 'resume':
      return { by, ...(given('note') ? { note: given('note') } : {}) };
    case 'retry':
    case 'skip':
    case 'abort':
      return { by, reason: form.reason ?? '' };
  }
}

const UPDATES = {
  ack: m.acknowledgeUpdate,
  assess: m.assessUpdate,
  select: m.selectBackupUpdate,
  approve: m.approveIncidentRestoreUpdate,
  resume: m.resumeUpdate,
  retry: m.retryStepUpdate,
  skip: m.skipStepUpdate,
  abort: m.abortUpdate,
} as const;

export function temporalBackend(client: Client): ConsoleBackend {
  const state = async (id: string) => client.workflow.getHandle(id).query(m.incidentStateQuery);
  return {
    async openIncidents() {
      const out: IncidentState[] = [];
      for await (const run of client.workflow.list({ query: OPEN_INCIDENTS_QUERY })) {
        const s = await state(run.workflowId).catch(() => null);
        if (s) out.push(s);
      }
      return out.sort((a, b) => (a.openedAt < b.openedAt ? 1 : -1));
    },
    async incident(id) {
      try {
        return await state(id);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
    async act(id, action, form, by) {
      try {
        // The Update's own type checks the input; the workflow's validator checks its values.
        return await client.workflow
          .getHandle(id)
          .executeUpdate(UPDATES[action] as typeof m.acknowledgeUpdate, { args: [actionInput(action, form, by) as never] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError)
          throw new ActionRefused((err.cause as Error | undefined)?.message ?? err.message);
        if (/already completed/i.test((err as Error).message))
          throw new ActionRefused(`${id} is closed; nothing more can be recorded`);
        throw err;
      }
    },
  };
}
