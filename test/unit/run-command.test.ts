/** runCommand with a real program: its output, its failure message, and a cancellation that stops it. */
import { execFileSync } from 'node:child_process';
import { CommandError, runCommand } from '../../src/infra/process/run-command';

/** Whether a process with this exact command line still runs. */
function running(commandLine: string): boolean {
  try {
    execFileSync('pgrep', ['-f', `^${commandLine}$`]);
    return true;
  } catch {
    return false;
  }
}

describe('runCommand', () => {
  it("gives the program's output", async () => {
    expect(await runCommand('sh', ['-c', 'echo out; echo err >&2'])).toEqual({ stdout: 'out\n', stderr: 'err\n' });
  });

  it('names the program and the tail of its stderr when it fails', async () => {
    const err = await runCommand('sh', ['-c', 'echo first >&2; echo why >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toBe('sh failed: first | why');
  });

  it('stops the program when cancelled and gives the reason, instead of waiting for its end', async () => {
    // A unique line, so pgrep finds this program only.
    const seconds = `30.${process.pid}`;
    const stop = new AbortController();
    const reason = new Error('cancelled by the test');
    const started = Date.now();
    const ran = runCommand('sleep', [seconds], { signal: stop.signal });
    await new Promise((r) => setTimeout(r, 300));
    expect(running(`sleep ${seconds}`)).toBe(true);
    stop.abort(reason);
    await expect(ran).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(running(`sleep ${seconds}`)).toBe(false);
  });

  it('does not start the program when already cancelled', async () => {
    const reason = new Error('cancelled before');
    await expect(runCommand('sh', ['-c', 'exit 0'], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
