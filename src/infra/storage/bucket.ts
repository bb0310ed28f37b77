/**
 * The one way to the bucket: every S3 request pgwarden makes goes through here, so each
 * failure becomes the same StorageError (naming bucket, endpoint and operation, never a
 * credential), a missing object is `undefined` rather than an exception, and writes that must
 * never replace anything use `If-None-Match: *` with a read-back when the key already exists.
 */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  LifecycleRule,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  PutObjectCommandInput,
  RestoreObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { StorageConfig } from '../config/storage';
import { isNotFound, isPreconditionFailed, storageError } from './s3-errors';
import { createS3Client } from './s3-client';
import { sseParams, taggingHeader, uploadOnce, UploadSpec } from './upload';
import { StorageError } from '../errors/errors';

/** What a small object is written with, besides its bytes. */
export interface PutOptions {
  contentType?: string;
  storageClass?: string;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
}

export interface ListedObject {
  key: string;
  size: number;
  storageClass?: string;
  lastModified?: Date;
}

export interface UnfinishedUpload {
  key: string;
  uploadId: string;
  initiated?: Date;
}

export class Bucket {
  constructor(
    readonly storage: StorageConfig,
    readonly s3: S3Client = createS3Client(storage),
  ) {}

  get name(): string {
    return this.storage.bucket;
  }

  get prefix(): string {
    return this.storage.prefix;
  }

  /** `s3://bucket/key`, for messages. */
  where(key: string): string {
    return `s3://${this.storage.bucket}/${key}`;
  }

  /** The StorageError for a failed request. */
  failure(err: unknown, operation: string): Error {
    return storageError(err, { bucket: this.storage.bucket, endpoint: this.storage.endpoint, operation });
  }

  private async send<T>(operation: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      throw this.failure(err, operation);
    }
  }

  /** Fails with the StorageError that says why the bucket cannot be used (missing, refused, unreachable). */
  async checkReachable(): Promise<void> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.name }));
    } catch (err) {
      // A HEAD answer has no body, so its 403 gives no reason (the key, the secret, the clock, a
      // policy): a listing of the same bucket carries the store's reason, when it is refused too.
      // When it is not, the refusal was the clock's, which the SDK has set right from the answer's
      // Date since: the HEAD is asked again.
      if (statusOf(err) !== 403) throw this.failure(err, 'HeadBucket');
      const why = await this.s3.send(new ListObjectsV2Command({ Bucket: this.name, MaxKeys: 1 })).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (statusOf(why) === 403) throw this.failure(why, 'HeadBucket');
      await this.send('HeadBucket', () => this.s3.send(new HeadBucketCommand({ Bucket: this.name })));
    }
  }

  /** Whether the bucket exists (some S3-compatible servers create a bucket on the first PUT). */
  async exists(): Promise<boolean> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.name }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.failure(err, `HeadBucket ${this.name}`);
    }
  }

  /** Every object under `prefix`, in key order; only those after the key `startAfter` when given. */
  async list(prefix: string, startAfter?: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    do {
      const res = await this.send(`ListObjectsV2 ${prefix}`, () =>
        this.s3.send(
          new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token, StartAfter: startAfter }),
        ),
      );
      for (const o of res.Contents ?? [])
        out.push({ key: o.Key!, storageClass: o.StorageClass, size: o.Size ?? 0, lastModified: o.LastModified });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** An object's metadata, or undefined when there is no such object. */
  async head(key: string): Promise<HeadObjectCommandOutput | undefined> {
    try {
      return await this.s3.send(new HeadObjectCommand({ Bucket: this.name, Key: key }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `HeadObject ${key}`);
    }
  }

  /** An object's bytes as a stream, or undefined when there is no such object. */
  async open(key: string): Promise<Readable | undefined> {
    try {
      return (await this.s3.send(new GetObjectCommand({ Bucket: this.name, Key: key }))).Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `GetObject ${key}`);
    }
  }

  /**
   * This bucket, with every object opened through it read only until `signal` aborts: the
   * stream then fails with the signal's reason, and no object opens after it. For long work
   * that reads many objects through code that knows nothing of cancellation (a recovery's
   * unpacking and WAL fetch).
   */
  cancellable(signal: AbortSignal): Bucket {
    const view = Object.create(this) as Bucket;
    view.open = async (key: string) => {
      signal.throwIfAborted();
      const body = await this.open(key);
      if (!body) return body;
      const stop = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      if (signal.aborted) stop();
      else {
        signal.addEventListener('abort', stop, { once: true });
        body.once('close', () => signal.removeEventListener('abort', stop));
      }
      return body;
    };
    return view;
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.name, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw this.failure(err, `GetObject ${key}`);
    }
  }

  async getText(key: string): Promise<string | undefined> {
    return (await this.getBytes(key))?.toString('utf8');
  }

  /** A small JSON record in an instantly readable class; replacing it with the same content is harmless. */
  async putJson(key: string, value: unknown): Promise<string> {
    await this.send(`PutObject ${key}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: JSON.stringify(value, null, 2) + '\n',
          ContentType: 'application/json',
          StorageClass: 'STANDARD',
          ...sseParams(this.storage),
        }),
      ),
    );
    return key;
  }

  /**
   * Writes a small object only if the key is free (`If-None-Match: *`); a taken key is
   * 'exists', and what is there is left as it is.
   */
  async create(key: string, body: Buffer | string, options: PutOptions = {}): Promise<'written' | 'exists'> {
    try {
      await this.s3.send(new PutObjectCommand({ ...this.putParams(key, body, options), IfNoneMatch: '*' }));
      return 'written';
    } catch (err) {
      if (isPreconditionFailed(err)) return 'exists';
      throw this.failure(err, `PutObject ${key}`);
    }
  }

  /**
   * Writes a small object only if the key is free; when it is taken, returns what is there
   * (read back, so the caller can tell its own earlier write from someone else's).
   */
  async putIfAbsent(key: string, body: Buffer | string, options: PutOptions = {}): Promise<'written' | { existing: Buffer }> {
    if ((await this.create(key, body, options)) === 'written') return 'written';
    const existing = await this.getBytes(key);
    if (existing === undefined) throw new StorageError(`${this.where(key)} was refused as existing, yet nothing is there`);
    return { existing };
  }

  /** Writes a small object, replacing what is there: only for objects meant to be rewritten (a WAL segment still being written). */
  async replace(key: string, body: Buffer | string, options: PutOptions = {}): Promise<void> {
    await this.send(`PutObject ${key}`, () => this.s3.send(new PutObjectCommand(this.putParams(key, body, options))));
  }

  private putParams(key: string, body: Buffer | string, options: PutOptions): PutObjectCommandInput {
    return {
      Bucket: this.name,
      Key: key,
      Body: body,
      ...(options.contentType ? { ContentType: options.contentType } : {}),
      ...(options.storageClass ? { StorageClass: options.storageClass as 'STANDARD' } : {}),
      ...(options.metadata ? { Metadata: options.metadata } : {}),
      ...(options.tags && Object.keys(options.tags).length ? { Tagging: taggingHeader(options.tags) } : {}),
      ...sseParams(this.storage),
    };
  }

  async upload(spec: UploadSpec): Promise<void> {
    return uploadOnce(this.s3, this.storage, spec);
  }

  /** A small text document (a report) in an instantly readable class; replacing it with the same content is harmless. */
  async putText(key: string, text: string, contentType: string): Promise<string> {
    await this.send(`PutObject ${key}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.name,
          Key: key,
          Body: text,
          ContentType: contentType,
          StorageClass: 'STANDARD',
          ...sseParams(this.storage),
        }),
      ),
    );
    return key;
  }

  /** Writes a small object, replacing whatever is there (only for probes and records that may be rewritten). */
  async put(key: string, body: Buffer | string): Promise<void> {
    await this.send(`PutObject ${key}`, () => this.s3.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: body })));
  }

  async delete(key: string): Promise<void> {
    await this.send(`DeleteObject ${key}`, () => this.s3.send(new DeleteObjectCommand({ Bucket: this.name, Key: key })));
  }

  /** Deletes keys in one request; returns the keys the store refused, with its error code. */
  async deleteMany(keys: string[]): Promise<Array<{ key: string; code: string }>> {
    const failed: Array<{ key: string; code: string }> = [];
    // S3 takes at most 1000 keys a request.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const res = await this.send('DeleteObjects', () =>
        this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        ),
      );
      failed.push(...(res.Errors ?? []).map((e) => ({ key: e.Key ?? '?', code: e.Code ?? 'Error' })));
    }
    return failed;
  }

  /** Multipart uploads begun under a prefix and never completed or aborted. */
  async unfinishedUploads(prefix: string): Promise<UnfinishedUpload[]> {
    const res = await this.send('ListMultipartUploads', () =>
      this.s3.send(new ListMultipartUploadsCommand({ Bucket: this.name, Prefix: prefix })),
    );
    return (res.Uploads ?? [])
      .filter((u) => u.Key && u.UploadId)
      .map((u) => ({ key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated }));
  }

  async abortUpload(u: UnfinishedUpload): Promise<void> {
    await this.send(`AbortMultipartUpload ${u.key}`, () =>
      this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: u.key, UploadId: u.uploadId })),
    );
  }

  /** Aborts unfinished multipart uploads of exactly one key: what a crashed earlier attempt left. */
  async abortUnfinishedUploadsOf(key: string): Promise<number> {
    const stale = (await this.unfinishedUploads(key)).filter((u) => u.key === key);
    for (const u of stale) await this.abortUpload(u);
    return stale.length;
  }

  /** Asks S3 to bring an archived object back for `days` days; a retrieval already under way is fine. */
  async requestRetrieval(key: string, days: number, tier: 'Standard' | 'Bulk' | 'Expedited'): Promise<void> {
    try {
      await this.s3.send(
        new RestoreObjectCommand({
          Bucket: this.name,
          Key: key,
          RestoreRequest: { Days: days, GlacierJobParameters: { Tier: tier } },
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== 'RestoreAlreadyInProgress') throw this.failure(err, `RestoreObject ${key}`);
    }
  }

  /** The bucket's lifecycle rules (none when it has none), or 'unsupported' by this S3 store. */
  async lifecycleRules(): Promise<LifecycleRule[] | 'unsupported'> {
    try {
      return (await this.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: this.name }))).Rules ?? [];
    } catch (err) {
      if (notImplemented(err)) return 'unsupported';
      if ((err as { name?: string }).name === 'NoSuchLifecycleConfiguration') return [];
      throw this.failure(err, 'GetBucketLifecycleConfiguration');
    }
  }

  async putLifecycleRules(rules: LifecycleRule[]): Promise<'applied' | 'unsupported'> {
    try {
      await this.s3.send(
        new PutBucketLifecycleConfigurationCommand({ Bucket: this.name, LifecycleConfiguration: { Rules: rules } }),
      );
      return 'applied';
    } catch (err) {
      if (notImplemented(err)) return 'unsupported';
      throw this.failure(err, 'PutBucketLifecycleConfiguration');
    }
  }
}

/** Some S3-compatible stores have no lifecycle rules at all. */
function notImplemented(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotImplemented' || e.$metadata?.httpStatusCode === 501;
}

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
