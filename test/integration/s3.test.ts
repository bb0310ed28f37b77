import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Bucket } from '../../src/infra/storage/bucket';
import { StorageError } from '../../src/infra/errors/errors';
import { createS3Client } from '../../src/infra/storage/s3-client';
import { storageError } from '../../src/infra/storage/s3-errors';
import { stackConfig } from '../support/stack-env';

describe('S3 (local SeaweedFS)', () => {
  const storage = stackConfig().storage!;
  const s3 = createS3Client(storage);
  afterAll(() => s3.destroy());

  it('stores and returns an object byte for byte', async () => {
    const key = `${storage.prefix}/test/${randomUUID()}.bin`;
    const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
    await s3.send(new PutObjectCommand({ Bucket: storage.bucket, Key: key, Body: body, Metadata: { database: 'sample' } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got.Metadata).toEqual({ database: 'sample' });
    await s3.send(new DeleteObjectCommand({ Bucket: storage.bucket, Key: key }));
  });

  it('reports a missing bucket clearly', async () => {
    const err = await s3.send(new HeadBucketCommand({ Bucket: 'no-such-bucket-here' })).catch((e: unknown) => e);
    const e = storageError(err, { bucket: 'no-such-bucket-here', endpoint: storage.endpoint, operation: 'HeadBucket' });
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(
      /bucket "no-such-bucket-here" at http:\/\/127\.0\.0\.1:\d+ does not exist; create it or fix BACKUP_S3_BUCKET/,
    );
  });

  it('tells a web server at S3_ENDPOINT from a missing bucket', async () => {
    // What a wrong port or a proxy answers: a bare 404, no S3 request id.
    const web = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    const wrong = createS3Client({ ...storage, endpoint });
    const err = await wrong.send(new HeadBucketCommand({ Bucket: storage.bucket })).catch((e: unknown) => e);
    wrong.destroy();
    await new Promise((r) => web.close(r));
    expect(storageError(err, { bucket: storage.bucket, endpoint, operation: 'HeadBucket' }).message).toBe(
      `HeadBucket failed: ${endpoint} answered 404 without an S3 request id, so it may not be an S3 service; check S3_ENDPOINT, then that bucket "${storage.bucket}" exists`,
    );
  });

  it('gives up on an endpoint that never accepts a connection, and says it cannot reach it', async () => {
    // A firewall that drops packets, on loopback: a listener whose accept queue is full and never drained.
    const blackhole = spawn('python3', [
      '-c',
      "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)",
    ]);
    const port = Number(String(await once(blackhole.stdout!, 'data')).trim());
    const queued = [0, 1, 2].map(() => connect(port, '127.0.0.1').on('error', () => undefined));
    await new Promise((r) => setTimeout(r, 300));
    const endpoint = `http://127.0.0.1:${port}`;
    const unreachable = createS3Client({ ...storage, endpoint }, { connectTimeoutMs: 300 });
    const started = Date.now();
    const err = await unreachable.send(new HeadBucketCommand({ Bucket: storage.bucket })).catch((e: unknown) => e);
    const took = Date.now() - started;
    unreachable.destroy();
    queued.forEach((s) => s.destroy());
    blackhole.kill();
    // Three attempts of 0.3 s and the SDK's back-off between them, not the system's two minutes each.
    expect(took).toBeLessThan(10_000);
    const e = storageError(err, { bucket: storage.bucket, endpoint, operation: 'HeadBucket' });
    expect([e.retryable, e.message]).toEqual([
      true,
      `HeadBucket failed: cannot reach bucket "${storage.bucket}" at ${endpoint} (TimeoutError); check S3_ENDPOINT / network access`,
    ]);
  });

  // Preflight's check of the bucket: a HEAD, whose 403 has no body, so the store's reason is asked for
  // with a listing. Before, both said "access denied ... and the bucket policy".
  it.each([
    [
      'an unknown access key',
      { credentials: { accessKeyId: 'nobody', secretAccessKey: 'x' } },
      'InvalidAccessKeyId',
      'the store knows no such access key; check AWS_ACCESS_KEY_ID',
    ],
    [
      'a wrong secret',
      { credentials: { accessKeyId: storage.credentials!.accessKeyId, secretAccessKey: 'wrong' } },
      'SignatureDoesNotMatch',
      'the secret does not match the access key; check AWS_SECRET_ACCESS_KEY',
    ],
  ])('says why the store refuses %s', async (_, options, code, fix) => {
    const client = new S3Client({
      region: storage.region,
      endpoint: storage.endpoint,
      forcePathStyle: storage.forcePathStyle,
      ...options,
    });
    const err = await new Bucket(storage, client).checkReachable().catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).message).toBe(
      `HeadBucket failed: bucket "${storage.bucket}" at ${storage.endpoint} refused the request (${code}): ${fix}`,
    );
  });

  it("passes with a worker's clock an hour ahead, which the SDK sets right from the first refusal, and names the clock when it refuses", async () => {
    const skewed = () =>
      new S3Client({
        region: storage.region,
        endpoint: storage.endpoint,
        forcePathStyle: storage.forcePathStyle,
        credentials: {
          accessKeyId: storage.credentials!.accessKeyId,
          secretAccessKey: storage.credentials!.secretAccessKey.reveal(),
        },
        systemClockOffset: 3_600_000,
      });
    // Before, the check failed with "access denied ... the bucket policy".
    const first = skewed();
    await expect(new Bucket(storage, first).checkReachable()).resolves.toBeUndefined();
    first.destroy();

    const second = skewed();
    const err = await second
      .send(new PutObjectCommand({ Bucket: storage.bucket, Key: `${storage.prefix}/test/${randomUUID()}`, Body: 'x' }))
      .catch((e: unknown) => e);
    second.destroy();
    expect(storageError(err, { bucket: storage.bucket, endpoint: storage.endpoint, operation: 'PutObject' }).message).toBe(
      `PutObject failed: bucket "${storage.bucket}" at ${storage.endpoint} refused the request (RequestTimeTooSkewed): this worker's clock is more than 15 minutes off the store's, and signed requests carry the time; set the clock right (timedatectl set-ntp true, or the host's time service)`,
    );
  });
});
