import { defaultPayloadConverter } from '@temporalio/client';
import { starterOf, type Starter } from '../../src/infra/temporal/started-by';

const scheduled = { TemporalScheduledById: defaultPayloadConverter.toPayload('pgwarden-drill-shop') };

describe('who a run says started it, from its first event', () => {
  it.each<[string, object, Starter]>([
    ['the CLI', { identity: 'pgwarden alice@ops-1 pid 42', firstExecutionRunId: 'r1' }, { by: 'pgwarden alice@ops-1 pid 42' }],
    [
      'a schedule (its identity is the scheduler, not a person)',
      { identity: 'temporal-scheduler', searchAttributes: { indexedFields: scheduled } },
      { by: 'schedule pgwarden-drill-shop' },
    ],
    [
      "an incident's child restore: the incident's starter, found up the chain",
      { identity: '', parentWorkflowExecution: { workflowId: 'dr-shop-1', runId: 'p1' } },
      { parent: { workflowId: 'dr-shop-1', runId: 'p1' } },
    ],
    [
      'a run continued as new: its chain began with the request',
      { identity: '77@worker-1', firstExecutionRunId: 'r0' },
      { firstRunId: 'r0' },
    ],
    ['no identity at all', { identity: '' }, null],
  ])('%s', (_, started, starter) => {
    expect(starterOf(started, 'r1')).toEqual(starter);
  });
});
