import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { requireSpoolRoom } from '../../activities/base-backup-spool';
import { describeFailure } from '../../src/app/cli/failure';
import type { BaseBackupManifest } from '../../src/operations/pitr/base-backup';
import { activityEnvironment } from '../support/temporal';

const PB = 2 ** 50; // more than any test machine's disk
const zstd = { algorithm: 'zstd', level: 1 } as const;
const client = (size: number | 'denied') =>
  ({
    query: async () => {
      if (size === 'denied') throw new Error('permission denied for tablespace pg_global');
      return { rows: [{ n: String(size) }] };
    },
  }) as unknown as Client;
const newest = (rawBytes: number) =>
  ({
    compression: zstd,
    data: { key: 'k', rawBytes, storedBytes: rawBytes / 4, sha256: '', md5: '' },
  }) as unknown as BaseBackupManifest;

/** As a worker runs it: inside an activity (it logs). */
const roomFor = (c: Client, newestBackup: BaseBackupManifest | undefined) =>
  activityEnvironment().run(requireSpoolRoom, c, join(dir, 'spool'), 'shop', zstd, newestBackup);

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-spool-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('room for the spool of a server with tablespaces', () => {
  it('is refused (exit 78) when the compressed cluster cannot fit, saying how much it needs', async () => {
    const err = await roomFor(client(PB), undefined).catch((e: unknown) => e);
    expect(describeFailure(err)).toEqual({
      lines: [
        expect.stringMatching(
          new RegExp(
            `^configuration: PGWARDEN_WORK_DIR: ${dir} has .* free, and a base backup of shop .* may need 1024\\.0 TiB; point`,
          ),
        ),
      ],
      exitCode: 78,
    });
  });

  it('goes by the newest base backup when the backup user may not read tablespace sizes', async () => {
    const err = await roomFor(client('denied'), newest(PB)).catch((e: unknown) => e);
    expect(describeFailure(err).exitCode).toBe(78);
    await expect(roomFor(client('denied'), newest(1024))).resolves.toBeUndefined();
  });

  it('is not checked when nothing gives the size', async () => {
    await expect(roomFor(client('denied'), undefined)).resolves.toBeUndefined();
  });
});
