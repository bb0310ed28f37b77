/**
 * The README's IAM policy for the worker holds a permission for every kind of S3 request the
 * code makes: a new request without its permission fails here, not on a user's first run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/** The IAM action each S3 request needs (AWS's "Actions, resources, and condition keys for Amazon S3"). */
const ACTION: Record<string, string> = {
  PutObject: 's3:PutObject',
  GetObject: 's3:GetObject',
  HeadObject: 's3:GetObject',
  HeadBucket: 's3:ListBucket',
  ListObjectsV2: 's3:ListBucket',
  DeleteObject: 's3:DeleteObject',
  DeleteObjects: 's3:DeleteObject',
  AbortMultipartUpload: 's3:AbortMultipartUpload',
  ListMultipartUploads: 's3:ListBucketMultipartUploads',
  GetBucketLifecycleConfiguration: 's3:GetLifecycleConfiguration',
  PutBucketLifecycleConfiguration: 's3:PutLifecycleConfiguration',
  RestoreObject: 's3:RestoreObject',
  // @aws-sdk/lib-storage's multipart upload: all three are s3:PutObject.
  CreateMultipartUpload: 's3:PutObject',
  UploadPart: 's3:PutObject',
  CompleteMultipartUpload: 's3:PutObject',
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const requests = new Set(
  ['src', 'activities'].flatMap((d) =>
    sources(join(root, d)).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/new (\w+)Command\(/g)].map((m) => m[1])),
  ),
);
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const policy = JSON.parse(/### Access and audit[\s\S]*?```json\n([\s\S]*?)```/.exec(readme)![1]) as {
  Statement: Array<{ Action: string[] }>;
};
const allowed = new Set(policy.Statement.flatMap((s) => s.Action));

it('finds the requests the code makes', () => {
  expect([...requests]).toEqual(expect.arrayContaining(['PutObject', 'GetObject', 'ListObjectsV2', 'DeleteObjects']));
});

it('knows the IAM action of every request the code makes', () => {
  expect([...requests].filter((r) => !(r in ACTION))).toEqual([]);
});

it("allows each in the README's policy, and nothing it does not need", () => {
  const needed = new Set([...requests, 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'].map((r) => ACTION[r]));
  expect([...needed].filter((a) => !allowed.has(a))).toEqual([]);
  expect([...allowed].filter((a) => !needed.has(a))).toEqual([]);
});
