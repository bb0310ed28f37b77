import { createActivityDeps } from '../../activities/deps';
import { preflightActivity } from '../../activities/preflight';
import { BackupError, ConfigError, DatabaseConnectionError, StorageError } from '../../src/infra/errors/errors';
import { stackConfig, stackEnv } from '../support/stack-env';
import { activityEnvironment } from '../support/temporal';

describe('preflight activity (real database, pg_dump and bucket)', () => {
  it('reports server and pg_dump versions and a writable bucket', async () => {
    const report = await activityEnvironment().run(preflightActivity(createActivityDeps(stackConfig())), { database: 'sample' });
    expect(report).toMatchObject({
      database: 'sample',
      serverMajor: 15,
      pgDump: { major: 15 },
      storage: { bucket: 'pgwarden-backups', writable: true },
      encryption: { algorithm: 'AES-256-GCM' },
      notifications: { email: true, slack: true },
    });
  });

  it.each([
    ['an unknown database', {}, 'nope', ConfigError, /database "nope" is not configured on this worker \(configured: sample\)/],
    [
      'a missing bucket',
      { BACKUP_S3_BUCKET: 'missing-bucket' },
      'sample',
      StorageError,
      /bucket "missing-bucket" .*does not exist/,
    ],
    [
      'an unreachable database',
      { DATABASE_URL: 'postgres://pgwarden:x@127.0.0.1:1/sample' },
      'sample',
      DatabaseConnectionError,
      /connection refused/,
    ],
    [
      'a broken pg_dump',
      { PG_BIN_DIR: '/nonexistent' },
      'sample',
      BackupError,
      /pg_dump is not usable on this worker .*not found on PATH.*set PG_BIN_DIR/,
    ],
  ])('fails clearly on %s', async (_what, overrides, database, type, message) => {
    const deps = createActivityDeps(stackConfig(overrides));
    const err = await activityEnvironment()
      .run(preflightActivity(deps), { database })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain(stackEnv().AWS_SECRET_ACCESS_KEY!);
  });
});
