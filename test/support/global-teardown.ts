/** Stops the services this jest run started; a stack that was already running stays up. */
import { spawnSync } from 'node:child_process';
import { down } from '../../devstack/stack';
import { sweepStackHistories } from './history-secrets';
import { sharedState } from './run-state';
import { stackEnv } from './stack-env';

/**
 * Child processes the tests left running (a filter program on a pipe nobody drains) would keep
 * jest from exiting until CI's time limit: each is named, so the leak is seen and fixed, and stopped.
 */
function stopLeakedChildren(): void {
  const out = spawnSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,etime=,args='], { encoding: 'utf8' }).stdout ?? '';
  for (const line of out
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)) {
    const [pid, etime, ...args] = line.split(/\s+/);
    if (args[0] === 'ps') continue;
    process.stderr.write(
      `global teardown: a test left a child process running for ${etime}: ${args.join(' ')} (pid ${pid}); stopping it\n`,
    );
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export default async function globalTeardown(): Promise<void> {
  const shared = sharedState();
  shared.refs -= 1;
  if (shared.refs > 0) return;
  const leaked = shared.since ? await secretsInHistories(shared.since) : undefined;
  // The stack this run started is stopped first: its services are this process's children too, not leaks.
  if (shared.started.length > 0) await down(() => undefined, shared.started);
  stopLeakedChildren();
  if (leaked) throw new Error(leaked);
}

/** What the sweep found, as one line a leak (workflow and which secret, never its value); undefined: none. */
async function secretsInHistories(since: Date): Promise<string | undefined> {
  const started = Date.now();
  const { leaks, secrets } = await sweepStackHistories(stackEnv(), since);
  process.stderr.write(
    `global teardown: ${secrets} secrets of the stack searched for in this run's histories: ${leaks.length} found (${Date.now() - started} ms)\n`,
  );
  if (leaks.length === 0) return undefined;
  return `secrets in Temporal histories:\n${leaks.map((l) => `  ${l.secret} in ${l.type} ${l.workflowId} (run ${l.runId})`).join('\n')}`;
}
