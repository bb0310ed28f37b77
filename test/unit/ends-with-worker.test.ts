/**
 * A program the worker may pause (SIGSTOP) must not outlive the worker: a real child process
 * stopped, its parent killed, in a session of its own as under systemd or in a container.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { endsWithWorker } from '../../src/infra/process/spawn-stream';

const state = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
  } catch {
    return 'gone';
  }
};
const until = async (test: () => boolean, ms: number) => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (test()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return test();
};

/** A worker of its own (a new session) that runs the program, stops it, and is then killed. */
async function stoppedThenOrphaned(command: string, args: string[]): Promise<{ pid: number; after: string }> {
  const script = `const c = require('child_process').spawn(${JSON.stringify(command)}, ${JSON.stringify(args)}, { stdio: 'ignore' });
    setTimeout(() => { c.kill('SIGSTOP'); console.log(c.pid); }, 100); setInterval(() => {}, 1000);`;
  const worker = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve) => worker.stdout.once('data', (d: Buffer) => resolve(Number(d.toString()))));
  expect(await until(() => state(pid) === 'T', 2000)).toBe(true);
  worker.kill('SIGKILL');
  await until(() => state(pid) === 'gone', 2000);
  return { pid, after: state(pid) };
}

it('a stopped program ends with the worker that ran it', async () => {
  const { after } = await stoppedThenOrphaned(...endsWithWorker('sleep', ['300']));
  expect(after).toBe('gone');
});

it('(what it prevents) without it, the stopped program stays, stopped', async () => {
  const { pid, after } = await stoppedThenOrphaned('sleep', ['300']);
  if (after !== 'gone') process.kill(pid, 'SIGKILL');
  expect(after).toBe('T');
});
