import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptorFor } from '../../src/infra/crypto/encryptor';
import { randomKeyring } from '../support/keys';
import { sealOpenSegment, sealWalFile } from '../../src/operations/pitr/wal-object';

const keyring = randomKeyring();
const NONE = { algorithm: 'none', level: 0 } as const;
const SEGMENT = 16 * 1024 * 1024;

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pgwarden-walobject-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('sealOpenSegment', () => {
  it('seals the open segment as sealWalFile does', async () => {
    const path = join(dir, '000000010000000000000009.partial');
    writeFileSync(path, 'written so far');
    const open = await sealOpenSegment(path, NONE, encryptorFor(keyring).create, SEGMENT);
    const whole = await sealWalFile(path, NONE, encryptorFor(keyring).create, SEGMENT);
    expect(open?.plainSha256).toBe(whole.plainSha256);
    expect(open?.plainBytes).toBe('written so far'.length);
  });

  // CI once failed a WAL archiving round (and a base backup waiting on it) with ENOENT here.
  it('gives nothing, not a failure, when pg_receivewal completed the segment after the look', async () => {
    const path = join(dir, '000000010000000000000009.partial');
    writeFileSync(path, 'written so far');
    renameSync(path, join(dir, '000000010000000000000009'));
    await expect(sealOpenSegment(path, NONE, encryptorFor(keyring).create, SEGMENT)).resolves.toBeUndefined();
  });

  it('still fails on any other read error', async () => {
    await expect(sealOpenSegment(dir, NONE, encryptorFor(keyring).create, SEGMENT)).rejects.toThrow(/EISDIR/);
  });
});
