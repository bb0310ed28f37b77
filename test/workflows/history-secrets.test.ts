/**
 * The sweep that runs after the whole suite (global teardown) for secrets in Temporal
 * histories: which settings it searches for, and that it finds one in a real history wherever
 * the workflow carries it.
 */
import { randomBytes } from 'node:crypto';
import { historiesHolding, secretsOf } from '../support/history-secrets';
import { DevServer, devServer, uniqueSuffix, uniqueTaskQueue } from '../support/temporal';

describe('secretsOf', () => {
  it.each([
    ['a variable the table marks secret', { SMTP_PASSWORD: 'smtp-pass-1' }, [['SMTP_PASSWORD', 'smtp-pass-1']]],
    [
      'one named for a secret',
      { PGWARDEN_TEST_S3_READ_ONLY_SECRET_ACCESS_KEY: 'ro-secret-1' },
      [['PGWARDEN_TEST_S3_READ_ONLY_SECRET_ACCESS_KEY', 'ro-secret-1']],
    ],
    [
      "a database URL's password (the URL holds it too)",
      { DATABASE_URL: 'postgres://pgwarden:db-pass-123@127.0.0.1:15432/app' },
      [
        ['DATABASE_URL', 'postgres://pgwarden:db-pass-123@127.0.0.1:15432/app'],
        ['DATABASE_URL (password)', 'db-pass-123'],
      ],
    ],
    [
      "a webhook URL's path, its credential",
      { SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/hooks/T0/B0/abcdef' },
      [
        ['SLACK_WEBHOOK_URL', 'http://127.0.0.1:9/hooks/T0/B0/abcdef'],
        ['SLACK_WEBHOOK_URL (path)', '/hooks/T0/B0/abcdef'],
      ],
    ],
    [
      'a password in a URL of any name',
      { PGWARDEN_TEST_PG18_URL: 'postgres://u:pg18-pass-1@h/db' },
      [['PGWARDEN_TEST_PG18_URL (password)', 'pg18-pass-1']],
    ],
    [
      'settings that are not secret',
      { TEMPORAL_ADDRESS: '127.0.0.1:17233', AWS_ACCESS_KEY_ID: 'access-key-id-1', S3_PREFIX: 'backups/x' },
      [],
    ],
    [
      'too short to search for without matching by chance',
      { SMTP_PASSWORD: 'p', DATABASE_URL: 'postgres://u:p@h/db' },
      [['DATABASE_URL', 'postgres://u:p@h/db']],
    ],
  ])('%s', (_, env, expected) => {
    expect([...secretsOf(env)]).toEqual(expected);
  });
});

describe('historiesHolding', () => {
  let server: DevServer;
  beforeAll(async () => (server = await devServer()));
  afterAll(() => server?.close());

  it("finds a secret a workflow carries in its input, memo or a failure, payloads' bytes read as text", async () => {
    const planted = {
      input: `in-${randomBytes(12).toString('hex')}`,
      memo: `memo-${randomBytes(12).toString('hex')}`,
      reason: `why-${randomBytes(12).toString('hex')}`,
    };
    const workflowId = `history-secrets-${uniqueSuffix()}`;
    // No worker polls the queue: the started event alone holds what the run was given.
    const handle = await server.client.workflow.start('NoSuchWorkflow', {
      workflowId,
      taskQueue: uniqueTaskQueue('history-secrets'),
      args: [{ settings: { nested: [planted.input] } }],
      memo: { note: planted.memo },
    });
    try {
      await handle.terminate(planted.reason);
      const query = `WorkflowId = '${workflowId}'`;
      const secrets = new Map([
        ['an input', planted.input],
        ['a memo', planted.memo],
        ['a reason', planted.reason],
        ['never given', `never-${randomBytes(12).toString('hex')}`],
      ]);
      // Visibility lags the start by a moment.
      let leaks: Awaited<ReturnType<typeof historiesHolding>> = [];
      for (let i = 0; i < 50 && leaks.length === 0; i++) {
        leaks = await historiesHolding(server.client, secrets, query);
        if (leaks.length === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(leaks.map((l) => l.secret).sort()).toEqual(['a memo', 'a reason', 'an input']);
      expect(leaks[0]).toMatchObject({ workflowId, type: 'NoSuchWorkflow', runId: handle.firstExecutionRunId });
    } finally {
      await handle.terminate().catch(() => undefined);
    }
  });
});
