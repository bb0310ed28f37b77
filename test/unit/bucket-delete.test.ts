import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig, WORKER_NEEDS } from '../../src/infra/config/config';
import { Bucket } from '../../src/infra/storage/bucket';
import { randomBytes } from 'node:crypto';

const storage = loadConfig(
  {
    DATABASE_URL: 'postgres://u:p@h/db',
    BACKUP_S3_BUCKET: 'bucket',
    BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    BACKUP_ENCRYPTION_KEY_ID: 'k',
  },
  { require: WORKER_NEEDS },
).storage!;

it('deletes any number of keys in requests of at most 1000 (what S3 takes), gathering every refusal', async () => {
  const requests: string[][] = [];
  const s3 = {
    send: async (command: { input: { Delete: { Objects: Array<{ Key: string }> } } }) => {
      const keys = command.input.Delete.Objects.map((o) => o.Key);
      requests.push(keys);
      return { Errors: keys.filter((k) => k.endsWith('7')).map((Key) => ({ Key, Code: 'AccessDenied' })) };
    },
  } as unknown as S3Client;
  const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);
  const failed = await new Bucket(storage, s3).deleteMany(keys);
  expect(requests.map((r) => r.length)).toEqual([1000, 1000, 500]);
  expect(requests.flat()).toEqual(keys);
  expect(failed).toHaveLength(250);
  expect(failed[0]).toEqual({ key: 'k7', code: 'AccessDenied' });
  expect(await new Bucket(storage, s3).deleteMany([])).toEqual([]);
  expect(requests).toHaveLength(3);
});
