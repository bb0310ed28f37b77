/** Whether a process still runs: the rule, and real processes (running, ended, a zombie). */
import { spawnSync } from 'node:child_process';
import { processState, processStateFrom } from '../../src/infra/process/process-state';
import { startZombie } from '../support/zombie';

describe('processStateFrom', () => {
  const stat = (letter: string, comm = 'pg_receivewal') => `4242 (${comm}) ${letter} 1 4242 4242 0 -1 4194560`;
  it.each([
    ['kill(0) answers, /proc says sleeping', undefined, stat('S'), true, 'running'],
    ['kill(0) answers, /proc says running', undefined, stat('R'), true, 'running'],
    ['a zombie still answers kill(0)', undefined, stat('Z'), true, 'gone'],
    ['a name with spaces and parentheses', undefined, stat('Z', 'a (b) c'), true, 'gone'],
    ['a name with spaces, running', undefined, stat('S', 'x ) Z y'), true, 'running'],
    ['it left between kill(0) and /proc', undefined, undefined, true, 'gone'],
    ['no such process', 'ESRCH', undefined, true, 'gone'],
    ["another user's process", 'EPERM', stat('S'), true, 'another-user'],
    ["another user's zombie", 'EPERM', stat('Z'), true, 'gone'],
    ['no /proc here: kill(0) decides', undefined, undefined, false, 'running'],
    ["no /proc here, another user's", 'EPERM', undefined, false, 'another-user'],
  ])('%s', (_, killCode, procStat, hasProc, expected) => {
    expect(processStateFrom(killCode, procStat, hasProc)).toBe(expected);
  });
});

describe('processState', () => {
  it('this process runs; an ended one and non-pids are gone', () => {
    expect(processState(process.pid)).toBe('running');
    const ended = spawnSync('true');
    expect(ended.pid).toBeGreaterThan(0);
    expect(processState(ended.pid)).toBe('gone');
    expect(processState(0)).toBe('gone');
    expect(processState(-1)).toBe('gone');
  });

  it('a zombie (exited, its parent never reaped it) is gone, though kill(0) still answers', async () => {
    const { zombie, parent, end } = await startZombie();
    try {
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(processState(zombie)).toBe('gone');
      expect(processState(parent)).toBe('running');
    } finally {
      end();
    }
  });
});
