import { WorkflowHandle } from '@temporalio/client';
import { followWithApproval } from '../../src/app/cli/approval';
import { RestoreStatus } from '../../src/infra/temporal/messages';

const awaiting: RestoreStatus = {
  step: 'awaiting approval',
  database: 'shop',
  backupId: 'backup_20261206_120000',
  mode: 'existing',
  target: 'shop',
  awaitingApproval: true,
  approvedBy: null,
  rejectedBy: null,
};

/** A run whose status the test sets, and a question at a terminal that nobody answers. */
function follow(result: Promise<string>, statusNow: () => RestoreStatus) {
  const handle = { query: async () => (queries++, statusNow()) } as unknown as WorkflowHandle;
  let asked = 0;
  const followed = followWithApproval(handle, result, {
    quiet: true,
    describe: (s) => s.step,
    ask: (_s, signal) => (asked++, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()))),
  });
  return { followed, asked: () => asked };
}

let queries = 0;

describe('followWithApproval', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    queries = 0;
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['decided and still running', false],
    ['decided and already done before the next look', true],
  ])('takes the question back and says who decided when the run is %s', async (_case, doneAtOnce) => {
    let status = awaiting;
    let finish!: (r: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    const run = follow(result, () => status);
    await new Promise((r) => setTimeout(r, 50));
    expect(run.asked()).toBe(1);

    status = { ...awaiting, step: 'restoring', awaitingApproval: false, approvedBy: 'bob' };
    if (doneAtOnce) finish('done');
    else setTimeout(() => finish('done'), 1200);
    await expect(run.followed).resolves.toBe('done');
    expect(written).toContain('pgwarden: approved by bob, not at this prompt\n');
  });

  it('does not claim a decision from a status taken before it', async () => {
    let finish!: (r: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    const run = follow(result, () => awaiting);
    await new Promise((r) => setTimeout(r, 50));
    finish('done');
    await expect(run.followed).resolves.toBe('done');
    expect(written).toContain('pgwarden: decided elsewhere, not at this prompt\n');
  });

  it('looks at the status twice a second, asking or not', async () => {
    let finish!: (r: string) => void;
    const result = new Promise<string>((r) => (finish = r));
    // The first second before any question, the next with the question open.
    let status = { ...awaiting, step: 'checking the target', awaitingApproval: false };
    const run = follow(result, () => status);
    await new Promise((r) => setTimeout(r, 1000));
    status = awaiting;
    await new Promise((r) => setTimeout(r, 1000));
    finish('done');
    await run.followed;
    expect(queries).toBeGreaterThanOrEqual(3);
    expect(queries).toBeLessThanOrEqual(6);
  });
});
