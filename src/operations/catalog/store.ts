/**
 * Reading what backups left in the bucket: manifests, verification records and the data
 * objects' current storage classes, for one database. Listing reads manifests only, which
 * stay in an instantly readable class; it never touches archived data.
 */
import { GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { StorageConfig } from '../../infra/config/storage';
import { isNotFound, storageError } from '../../infra/storage/s3-errors';
import { sseParams } from '../../infra/storage/upload';
import { CatalogEntry, catalogEntry, legacyCatalogEntry, newestFirst } from './catalog';
import { BackupManifest, parseManifest } from '../backup/manifest';
import { databaseRoot, LEGACY_NAME, legacyKey, manifestPrefix, recordName } from '../backup/naming';
import { VerificationRecord, verificationKey, verificationPrefix } from '../verify/verification';

export class BackupStore {
  constructor(
    private readonly s3: S3Client,
    private readonly storage: StorageConfig,
  ) {}

  private fail(err: unknown, operation: string): never {
    throw storageError(err, { bucket: this.storage.bucket, endpoint: this.storage.endpoint, operation });
  }

  async listKeys(prefix: string): Promise<Array<{ key: string; storageClass?: string; size: number; lastModified?: Date }>> {
    const out: Array<{ key: string; storageClass?: string; size: number; lastModified?: Date }> = [];
    let token: string | undefined;
    do {
      const res = await this.s3
        .send(new ListObjectsV2Command({ Bucket: this.storage.bucket, Prefix: prefix, ContinuationToken: token }))
        .catch((err: unknown) => this.fail(err, `ListObjectsV2 ${prefix}`));
      for (const o of res.Contents ?? [])
        out.push({ key: o.Key!, storageClass: o.StorageClass, size: o.Size ?? 0, lastModified: o.LastModified });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /** Whether the bucket exists (some S3-compatible servers create a bucket on the first PUT). */
  async bucketExists(): Promise<boolean> {
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.storage.bucket }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      return this.fail(err, `HeadBucket ${this.storage.bucket}`);
    }
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.storage.bucket, Key: key }));
      return await res.Body!.transformToString();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      return this.fail(err, `GetObject ${key}`);
    }
  }

  async manifest(database: string, backupId: string): Promise<{ manifest: BackupManifest; key: string } | undefined> {
    const key = `${manifestPrefix(this.storage.prefix, database)}${backupId}.json`;
    const text = await this.getText(key);
    return text === undefined ? undefined : { manifest: parseManifest(text, key), key };
  }

  async verification(database: string, backupId: string): Promise<VerificationRecord | undefined> {
    const text = await this.getText(verificationKey(this.storage.prefix, database, backupId));
    return text === undefined ? undefined : (JSON.parse(text) as VerificationRecord);
  }

  async putVerification(record: VerificationRecord): Promise<string> {
    return this.putJson(verificationKey(this.storage.prefix, record.database, record.backupId), record);
  }

  /** A small JSON record in an instantly readable class; replacing it with the same content is harmless. */
  async putJson(key: string, value: unknown): Promise<string> {
    await this.s3
      .send(
        new PutObjectCommand({
          Bucket: this.storage.bucket,
          Key: key,
          Body: JSON.stringify(value, null, 2) + '\n',
          ContentType: 'application/json',
          StorageClass: 'STANDARD',
          ...sseParams(this.storage),
        }),
      )
      .catch((err: unknown) => this.fail(err, `PutObject ${key}`));
    return key;
  }

  /** Every JSON object under a prefix, parsed; `keep` filters by key before anything is read. */
  async readJsonUnder<T>(prefix: string, keep: (key: string) => boolean = () => true): Promise<T[]> {
    const keys = (await this.listKeys(prefix)).map((o) => o.key).filter((k) => k.endsWith('.json') && keep(k));
    const out: T[] = [];
    for (const key of keys) {
      const text = await this.getText(key);
      if (text !== undefined) out.push(JSON.parse(text) as T);
    }
    return out;
  }

  /** The old scripts' backups (`<S3_PREFIX>/backup_*.sql.gz.enc`), as this database's, newest first. */
  async legacyCatalog(database: string): Promise<CatalogEntry[]> {
    const top = this.storage.prefix ? `${this.storage.prefix}/` : '';
    const objects = (await this.listKeys(`${top}backup_`)).filter((o) => LEGACY_NAME.test(o.key.slice(top.length)));
    const entries: CatalogEntry[] = [];
    for (const o of objects) {
      const backupId = LEGACY_NAME.exec(o.key.slice(top.length))![1];
      entries.push(legacyCatalogEntry(database, o, backupId, await this.verification(database, backupId)));
    }
    return newestFirst(entries);
  }

  /** An old script's file by backup id, if there is one. */
  async legacyObject(backupId: string): Promise<{ key: string; size: number; storageClass?: string } | undefined> {
    const key = legacyKey(this.storage.prefix, backupId);
    return (await this.listKeys(key)).find((o) => o.key === key);
  }

  /** Complete backups of a database, newest first, with verification state and storage class. */
  async catalog(database: string): Promise<CatalogEntry[]> {
    const [manifests, verifications, data] = await Promise.all([
      this.listKeys(manifestPrefix(this.storage.prefix, database)),
      this.listKeys(verificationPrefix(this.storage.prefix, database)),
      this.listKeys(`${databaseRoot(this.storage.prefix, database)}data/`),
    ]);
    const verified = new Set(verifications.map((v) => recordName(v.key)));
    const classes = new Map(data.map((d) => [d.key, d.storageClass]));
    const entries: CatalogEntry[] = [];
    for (const m of manifests.filter((k) => k.key.endsWith('.json'))) {
      const manifest = parseManifest((await this.getText(m.key))!, m.key);
      const verification = verified.has(manifest.backupId) ? await this.verification(database, manifest.backupId) : undefined;
      entries.push(catalogEntry(manifest, m.key, classes.get(manifest.data.key), verification));
    }
    return newestFirst(entries);
  }
}
