/**
 * A retry discards the folder of an earlier attempt that may still run (cut off from Temporal)
 * and still write WAL into it. A file landing mid-removal failed the retry with ENOTEMPTY: seen
 * in base-backup.test.ts, where the retry then never started.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discardInstance } from '../../activities/recover-instance';

it('removes a folder an earlier attempt still writes WAL into', async () => {
  const root = await mkdtemp(join(tmpdir(), 'pgwarden-discard-'));
  try {
    const wal = join(root, 'wal');
    await mkdir(wal);
    for (let i = 0; i < 200; i++) await writeFile(join(wal, `fetched-${i}`), 'x'.repeat(1000));
    // The stray attempt's fetch: a few hundred more segments, until its folder is gone.
    let gone = false;
    const stray = (async () => {
      for (let i = 0; i < 300 && !gone; i++)
        await writeFile(join(wal, `late-${i}`), 'x'.repeat(16384)).catch(() => (gone = true));
    })();
    await discardInstance(root, undefined);
    await stray;
    expect(existsSync(root)).toBe(false);
  } finally {
    await rm(root, { recursive: true, force: true, maxRetries: 10 });
  }
});
