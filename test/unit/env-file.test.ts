import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environmentWithFile } from '../../src/infra/config/env-file';
import { ConfigError } from '../../src/infra/errors/errors';

describe('env file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgwarden-env-'));
  const file = join(dir, 'pgwarden.env');
  writeFileSync(file, '# comment\nBACKUP_S3_BUCKET=from-file\nS3_PREFIX="quoted/prefix"\nSMTP_PORT=2525\n');

  it('fills in variables the environment does not set; the environment wins', () => {
    const env = environmentWithFile({ BACKUP_S3_BUCKET: 'from-env', SMTP_PORT: '' }, file);
    expect(env.BACKUP_S3_BUCKET).toBe('from-env');
    expect(env.S3_PREFIX).toBe('quoted/prefix');
    expect(env.SMTP_PORT).toBe('2525');
  });

  it('is found through PGWARDEN_CONFIG too', () => {
    expect(environmentWithFile({ PGWARDEN_CONFIG: file }, undefined).BACKUP_S3_BUCKET).toBe('from-file');
  });

  it('fails clearly when the file is missing', () => {
    expect(() => environmentWithFile({}, join(dir, 'nope.env'))).toThrow(ConfigError);
    expect(() => environmentWithFile({}, join(dir, 'nope.env'))).toThrow(
      /nope\.env: file not found; pass an existing file with --config/,
    );
  });
});
