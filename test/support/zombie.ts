/**
 * A real zombie: a process that has exited but whose parent never reaps it. The shell starts a
 * child and then becomes `sleep`, which never waits for children. The child ends only once its
 * parent is `sleep`: a child that ended while the shell still ran was sometimes reaped by dash
 * (seen under load in CI, about 1 in 300 runs). kill(0) still answers for the zombie until the
 * parent (stopped by `end`) goes.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function procStateLetter(pid: number): string | undefined {
  try {
    return /\) (\S) /.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

// In a subshell $$ is still the shell's pid, which becomes sleep's after exec.
const UNREAPED_CHILD = '(while [ "$(cat /proc/$$/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 60';

export async function startZombie(): Promise<{ zombie: number; parent: number; end: () => void }> {
  const parent = spawn('sh', ['-c', UNREAPED_CHILD], { stdio: ['ignore', 'pipe', 'ignore'] });
  const end = () => parent.kill('SIGKILL');
  try {
    const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
    const deadline = Date.now() + 5000;
    while (procStateLetter(zombie) !== 'Z') {
      if (Date.now() > deadline) throw new Error(`process ${zombie} did not become a zombie`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { zombie, parent: parent.pid!, end };
  } catch (err) {
    end();
    throw err;
  }
}
