/**
 * BACKUP_JOBS: the largest tables are dumped by their own pg_dump processes in the backup's
 * one snapshot while writers keep inserting; the row counts stay exact, verification checks
 * every part, and a restore loads the parts side by side into a database identical to the
 * snapshot (a foreign key across parts, awkward names, the awkward fixture's objects).
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from 'pg';
import { BackupStore } from '../../src/operations/catalog/store';
import { Bucket } from '../../src/infra/storage/bucket';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { WorkflowType } from '../../src/infra/temporal/definitions';
import type { VerifyResult } from '../../workflows/verify';
import { databaseUrl, tableFingerprints, withClient } from '../support/databases';
import { uniqueSuffix } from '../support/temporal';
import { workflowSuite } from '../support/workflow-suite';

const suite = workflowSuite('parallel');
const EVENTS = '"Big ""Data"""."events *?"';

it('BACKUP_JOBS=3: exact counts while writers insert, every part verified, restored identical', async () => {
  const db = await suite.freshDatabase('par', 'awkward.sql');
  const copy = `${db}_copy`;
  suite.track(copy);
  await withClient(db, async (c) => {
    await c.query(`CREATE SCHEMA "Big ""Data"""`);
    await c.query(`CREATE TABLE ${EVENTS} (id bigserial PRIMARY KEY, body text NOT NULL)`);
    await c.query(`INSERT INTO ${EVENTS} (body) SELECT repeat(md5(g::text), 3) FROM generate_series(1, 150000) g`);
    await c.query(`CREATE TABLE ledger (id bigserial PRIMARY KEY, event_id bigint REFERENCES ${EVENTS}, note text NOT NULL)`);
    await c.query(
      `INSERT INTO ledger (event_id, note) SELECT 1 + g % 1000, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 200000) g`,
    );
    // Both are large enough to get a process of their own (SEPARATE_TABLE_MIN_BYTES).
    const sizes = await c.query<{ n: string }>(
      `SELECT pg_table_size(${c.escapeLiteral(EVENTS)}::regclass) AS n UNION ALL SELECT pg_table_size('ledger')`,
    );
    for (const r of sizes.rows) expect(Number(r.n)).toBeGreaterThan(16 * 1024 * 1024);
  });
  const { taskQueue, config } = await suite.workerFor(db, { BACKUP_JOBS: '3' });

  // Writers insert into both large tables during the whole backup, in their own transactions.
  const writer = new Client({ connectionString: databaseUrl(db) });
  await writer.connect();
  let writing = true;
  let inserted = 0;
  const writes = (async () => {
    while (writing) {
      await writer.query(`WITH e AS (INSERT INTO ${EVENTS} (body) VALUES ('late') RETURNING id)
                          INSERT INTO ledger (event_id, note) SELECT id, 'late' FROM e`);
      inserted++;
    }
  })();
  const backup = await suite.backup(db, taskQueue);
  writing = false;
  await writes;
  await writer.end();
  expect(inserted).toBeGreaterThan(0);
  expect(backup.dataParts).toBe(2);

  const s3 = createS3Client(config.storage!);
  const { manifest } = (await new BackupStore(new Bucket(config.storage!, s3)).manifest(db, backup.backupId))!;
  expect(manifest.formatVersion).toBe(3);
  expect(manifest.dataParts!.map((p) => p.tables)).toEqual([
    [{ schema: 'public', table: 'ledger' }],
    [{ schema: 'Big "Data"', table: 'events *?' }],
  ]);
  expect(manifest.dataParts!.map((p) => p.key)).toEqual([
    expect.stringMatching(new RegExp(`/data/${backup.backupId}\\.part2\\.dump\\.zst\\.enc$`)),
    expect.stringMatching(new RegExp(`/data/${backup.backupId}\\.part3\\.dump\\.zst\\.enc$`)),
  ]);
  const counted = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.table}`, t.rows]));
  // One snapshot for all: every ledger row's event is in the backup, the late ones included.
  expect(counted['public.ledger'] - 200000).toBe(counted['Big "Data".events *?'] - 150000);

  const verified = await suite.verify(db, taskQueue, backup.backupId);
  expect(verified.verified.map((v) => [v.status, v.failures])).toEqual([['passed', []]]);

  // The restore itself refuses counts that differ from the manifest's.
  const restored = await suite.restoreNew(db, taskQueue, backup.backupId, copy);
  expect(restored.restoredInto).toBe(copy);
  const [original, loaded] = [await tableFingerprints(db), await tableFingerprints(copy)];
  for (const [name, rows] of Object.entries(counted)) expect([name, loaded[name].rows]).toEqual([name, rows]);
  const unchanged = (f: typeof original) =>
    Object.fromEntries(Object.entries(f).filter(([name]) => !['public.ledger', 'Big "Data".events *?'].includes(name)));
  expect(unchanged(loaded)).toEqual(unchanged(original));
  // The foreign key across parts came back, after the rows it checks.
  await withClient(copy, async (c) => {
    const fk = await c.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'ledger'::regclass AND contype = 'f'`);
    expect(fk.rowCount).toBe(1);
  });

  // A part replaced after the backup is named by verification, like the main dump would be.
  const part3 = manifest.dataParts![1].key;
  const stored = Buffer.from(
    await (await s3.send(new GetObjectCommand({ Bucket: backup.bucket, Key: part3 }))).Body!.transformToByteArray(),
  );
  stored[Math.floor(stored.length / 2)] ^= 0x10;
  await s3.send(new PutObjectCommand({ Bucket: backup.bucket, Key: part3, Body: stored }));
  s3.destroy();
  const damaged: VerifyResult = await suite.server.client.workflow.execute(WorkflowType.verify, {
    taskQueue,
    workflowId: `verify-${db}-${uniqueSuffix()}`,
    args: [{ database: db, backupId: backup.backupId }],
  });
  expect(damaged.verified[0].failures).toEqual([
    expect.stringMatching(
      new RegExp(`^checksums: data part 3 object s3://.*${backup.backupId}\\.part3\\.dump\\.zst\\.enc: expected sha256`),
    ),
    expect.stringMatching(/^decryption: data part 3 object .*failed authentication/),
    expect.stringMatching(/^test restore: stopped: the stored object failed its integrity checks$/),
  ]);
}, 240_000);
