/**
 * The approval prompt of the built CLI at a real terminal (util-linux `script` gives it a pty),
 * against a worker of this process and the stack's Temporal. The prompt is one way to decide;
 * another operator's `--approve`, and the approval timeout, are the others. Before, the prompt
 * held the command whichever decided: it hung at a question already answered and printed none of
 * the run's steps; typing the name then failed the command.
 */
import { spawn } from 'node:child_process';
import { envFile } from '../../devstack/paths';
import { bin, pgwarden } from '../support/cli';
import { databaseUrl } from '../support/databases';
import { waitFor } from '../support/wait';
import { workflowSuite } from '../support/workflow-suite';

/** `pgwarden restore` at a terminal: its output (stdout and stderr, as a terminal shows them) and its exit code. */
function restoreAtTerminal(db: string, taskQueue: string, ...args: string[]) {
  const command = [process.execPath, bin, 'restore', '--database', db, '--as', 'alice', ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-q', '-f', '-e', '-c', command, '/dev/null'], {
    detached: true, // its own process group, so the test can stop the command inside the terminal too
    env: {
      PATH: process.env.PATH,
      PGWARDEN_CONFIG: envFile,
      DATABASE_URL: databaseUrl(db),
      PGWARDEN_TASK_QUEUE: taskQueue,
      TERM: 'dumb',
    },
  });
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const run = {
    output: '',
    /** The exit code, or 'still running' 30 s after being asked (the command held at its prompt). */
    exit: () => Promise.race([closed, new Promise((r) => setTimeout(() => r('still running'), 30_000).unref())]),
    /** Keys typed at the terminal. */
    type: (keys: string) => void child.stdin.write(keys),
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
  child.stdout.on('data', (d) => (run.output += d));
  child.stderr.on('data', (d) => (run.output += d));
  return run;
}

async function untilPrompt(cli: { output: string }, db: string): Promise<void> {
  await waitFor('the prompt', async () => new RegExp(`Type ${db} to approve: $`).test(cli.output), 60).catch((err) => {
    throw new Error(`${(err as Error).message}; the terminal showed:\n${cli.output}`);
  });
}

describe('the approval prompt at a terminal', () => {
  const suite = workflowSuite('cli-approval');

  async function setUp() {
    const db = await suite.freshDatabase('approval', 'awkward.sql');
    const { taskQueue } = await suite.workerFor(db);
    const backup = await suite.backup(db, taskQueue);
    return { db, taskQueue, backup };
  }

  it('stops asking when another operator approves, and follows the restore to its end', async () => {
    const { db, taskQueue, backup } = await setUp();
    const cli = restoreAtTerminal(db, taskQueue);
    try {
      await untilPrompt(cli, db);
      const id = /\(workflow (restore-\S+), /.exec(cli.output)![1];
      const approved = await pgwarden(
        { PGWARDEN_TASK_QUEUE: taskQueue, DATABASE_URL: databaseUrl(db) },
        'restore',
        '--approve',
        id,
        '--as',
        'bob',
      );
      expect(approved).toMatchObject({ code: 0 });
      // Nothing typed: the prompt gives way to the decision and the command ends with the run.
      expect(await cli.exit()).toBe(0);
      const lines = cli.output.replace(/\r/g, '').split('\n');
      expect(lines).toContain('pgwarden: approved by bob, not at this prompt');
      expect(lines).toContain(`restore    ${backup.backupId} of ${db}: OK`);
      expect(lines).toContain('approved   by bob');
      const kept = / \(previous data kept as (\S+);/.exec(cli.output);
      expect(kept).not.toBeNull();
      suite.track(kept![1]);
    } finally {
      cli.stop();
    }
  }, 180_000);

  it('stops asking when the approval times out, and exits with the run', async () => {
    const { db, taskQueue } = await setUp();
    const cli = restoreAtTerminal(db, taskQueue, '--approval-timeout', '0.1');
    try {
      await untilPrompt(cli, db);
      const code = await cli.exit();
      expect(code).toBe(77);
      expect(cli.output).toMatch(/no approval within 0\.1 minutes; nothing was changed/);
    } finally {
      cli.stop();
    }
  }, 180_000);

  it('takes the name typed at the prompt as the approval, from the operator named', async () => {
    const { db, taskQueue, backup } = await setUp();
    const cli = restoreAtTerminal(db, taskQueue);
    try {
      await untilPrompt(cli, db);
      cli.type(`${db}\r`);
      expect(await cli.exit()).toBe(0);
      const lines = cli.output.replace(/\r/g, '').split('\n');
      expect(lines).toContain(`restore    ${backup.backupId} of ${db}: OK`);
      expect(lines).toContain('approved   by alice');
      expect(cli.output).not.toMatch(/not at this prompt/);
      suite.track(/ \(previous data kept as (\S+);/.exec(cli.output)![1]);
    } finally {
      cli.stop();
    }
  }, 180_000);
});
