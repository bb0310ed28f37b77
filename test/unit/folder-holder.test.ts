/** Who works in a folder across the worker processes of one host: the rule, and the file with real processes. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FOLDER_HOLDER_FILE,
  formatFolderHolder,
  holderStillWorks,
  holdFolder,
  parseFolderHolder,
} from '../../src/infra/process/folder-holder';
import { startZombie } from '../support/zombie';

describe('holderStillWorks', () => {
  const self = { pid: 100, host: 'db1' };
  const alive = (pid: number) => pid !== 300;
  it.each([
    ['no file, or one cut short', undefined, false],
    ['a live process of this host', { pid: 200, host: 'db1', what: 'attempt 1 of r' }, true],
    ['a process of this host that died', { pid: 300, host: 'db1', what: 'attempt 1 of r' }, false],
    ['this process (its own earlier work, stopped by the caller)', { pid: 100, host: 'db1', what: 'attempt 1 of r' }, false],
    ["another host's process, which cannot be seen from here", { pid: 200, host: 'db2', what: 'attempt 1 of r' }, false],
  ])('%s', (_, holder, expected) => {
    expect(holderStillWorks(holder, self, alive)).toBe(expected);
  });

  it('reads back what it writes, and nothing from a file cut short', () => {
    const h = { pid: 42, host: 'db-1.example', what: 'attempt 2 of pitr-shop-1' };
    expect(parseFolderHolder(formatFolderHolder(h))).toEqual(h);
    expect(parseFolderHolder(formatFolderHolder(h).slice(0, -1))).toBeUndefined();
    expect(parseFolderHolder('')).toBeUndefined();
  });
});

describe('holdFolder', () => {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'folder-holder-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));
  const holderFile = () => join(folder, FOLDER_HOLDER_FILE);

  it('takes a free folder and gives it back', async () => {
    const held = await holdFolder(folder, 'attempt 1 of r');
    expect(readFileSync(holderFile(), 'utf8')).toBe(`${process.pid}@${hostname()} attempt 1 of r\n`);
    if (!('release' in held)) throw new Error('not taken');
    await held.release();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('gives the holder while another live process of this host holds it, and takes it once that process is gone', async () => {
    const other = spawn('sleep', ['30']);
    try {
      writeFileSync(holderFile(), formatFolderHolder({ pid: other.pid!, host: hostname(), what: 'attempt 1 of r' }));
      expect(await holdFolder(folder, 'attempt 2 of r')).toEqual({
        heldBy: { pid: other.pid!, host: hostname(), what: 'attempt 1 of r' },
      });
    } finally {
      other.kill();
    }
    await new Promise((r) => other.once('exit', r));
    const held = await holdFolder(folder, 'attempt 2 of r');
    expect('release' in held).toBe(true);
    expect(readFileSync(holderFile(), 'utf8')).toContain('attempt 2 of r');
  });

  it('takes over a file a dead process left, and one cut short', async () => {
    const dead = spawnSync('true').pid;
    writeFileSync(holderFile(), formatFolderHolder({ pid: dead, host: hostname(), what: 'attempt 1 of r' }));
    expect('release' in (await holdFolder(folder, 'attempt 2 of r'))).toBe(true);
    writeFileSync(holderFile(), '123@host attem');
    expect('release' in (await holdFolder(folder, 'attempt 3 of r'))).toBe(true);
  });

  it('takes over from a process that has exited but was not yet reaped (a zombie still answers kill(0))', async () => {
    const { zombie, end } = await startZombie();
    try {
      writeFileSync(holderFile(), formatFolderHolder({ pid: zombie, host: hostname(), what: 'attempt 1 of r' }));
      expect('release' in (await holdFolder(folder, 'attempt 2 of r'))).toBe(true);
    } finally {
      end();
    }
  });

  it('gives back only its own: a file somebody wrote since stays', async () => {
    const held = await holdFolder(folder, 'attempt 1 of r');
    writeFileSync(holderFile(), formatFolderHolder({ pid: 1, host: 'other', what: 'attempt 2 of r' }));
    if ('release' in held) await held.release();
    expect(readFileSync(holderFile(), 'utf8')).toContain('attempt 2 of r');
  });
});
