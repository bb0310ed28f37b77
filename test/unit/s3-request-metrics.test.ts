/** How each S3 request is priced, and that the client's middleware counts every command it sends. */
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { PgwardenMetrics } from '../../src/infra/metrics/backup-metrics';
import { countS3Requests, s3Pricing } from '../../src/infra/metrics/s3-request-metrics';

it.each([
  ['PutObject', 'put_copy_post_list'],
  ['UploadPart', 'put_copy_post_list'],
  ['CreateMultipartUpload', 'put_copy_post_list'],
  ['CompleteMultipartUpload', 'put_copy_post_list'],
  ['CopyObject', 'put_copy_post_list'],
  ['ListObjectsV2', 'put_copy_post_list'],
  ['ListMultipartUploads', 'put_copy_post_list'],
  ['PutBucketLifecycleConfiguration', 'put_copy_post_list'],
  ['GetObject', 'get_and_other'],
  ['HeadObject', 'get_and_other'],
  ['HeadBucket', 'get_and_other'],
  ['DeleteObject', 'free'],
  ['DeleteObjects', 'free'],
  ['AbortMultipartUpload', 'free'],
])('%s is priced as %s', (operation, pricing) => {
  expect(s3Pricing(operation)).toBe(pricing);
});

it('counts each command, refused ones too, and the bytes a GetObject sends back', async () => {
  const seen: Array<[string, string, number]> = [];
  const metrics = { s3Request: (o: string, p: string, b: number) => seen.push([o, p, b]) } as unknown as PgwardenMetrics;
  // The transport stands in for S3: a 200 with 5 bytes for a get, a 403 for a list.
  const client = countS3Requests(
    new S3Client({
      region: 'us-east-1',
      endpoint: 'http://s3.invalid',
      forcePathStyle: true,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { path: string; query?: Record<string, unknown> }) => {
          const { Readable } = await import('node:stream');
          const listing = request.query && 'list-type' in request.query;
          return {
            response: {
              statusCode: listing ? 403 : 200,
              headers: listing ? { 'content-type': 'application/xml' } : { 'content-length': '5' },
              body: Readable.from([listing ? '<Error><Code>AccessDenied</Code></Error>' : 'hello']),
            },
          };
        },
      } as never,
    }),
    metrics,
  );
  await client.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
  await expect(client.send(new ListObjectsV2Command({ Bucket: 'b' }))).rejects.toThrow();
  expect(seen).toEqual([
    ['GetObject', 'get_and_other', 5],
    ['ListObjectsV2', 'put_copy_post_list', 0],
  ]);
});
