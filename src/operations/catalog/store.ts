/**
 * Reading what backups left in the bucket: manifests, verification records and the data
 * objects' current storage classes, for one database. Listing reads manifests only, which
 * stay in an instantly readable class; it never touches archived data.
 */
import { Bucket, ListedObject } from '../../infra/storage/bucket';
import {
  dataFolder,
  LEGACY_NAME,
  legacyKey,
  legacyListPrefix,
  manifestKey,
  manifestPrefix,
  recordName,
  topLevel,
  verificationKey,
  verificationPrefix,
} from '../../infra/storage/layout';
import { CatalogEntry, catalogEntry, legacyCatalogEntry, newestFirst } from './catalog';
import { BackupManifest, parseManifest } from '../backup/manifest';
import { VerificationRecord } from '../verify/verification';

export class BackupStore {
  constructor(readonly bucket: Bucket) {}

  private get prefix(): string {
    return this.bucket.prefix;
  }

  async manifest(database: string, backupId: string): Promise<{ manifest: BackupManifest; key: string } | undefined> {
    const key = manifestKey(this.prefix, database, backupId);
    const text = await this.bucket.getText(key);
    return text === undefined ? undefined : { manifest: parseManifest(text, key), key };
  }

  async verification(database: string, backupId: string): Promise<VerificationRecord | undefined> {
    const text = await this.bucket.getText(verificationKey(this.prefix, database, backupId));
    return text === undefined ? undefined : (JSON.parse(text) as VerificationRecord);
  }

  async putVerification(record: VerificationRecord): Promise<string> {
    return this.bucket.putJson(verificationKey(this.prefix, record.database, record.backupId), record);
  }

  /** Every JSON object under a prefix, parsed; `keep` filters by key before anything is read. */
  async readJsonUnder<T>(prefix: string, keep: (key: string) => boolean = () => true): Promise<T[]> {
    const keys = (await this.bucket.list(prefix)).map((o) => o.key).filter((k) => k.endsWith('.json') && keep(k));
    const out: T[] = [];
    for (const key of keys) {
      const text = await this.bucket.getText(key);
      if (text !== undefined) out.push(JSON.parse(text) as T);
    }
    return out;
  }

  /** The old scripts' files (`<S3_PREFIX>/backup_*.sql.gz.enc`) with their backup ids, from one listing. */
  async legacyObjects(): Promise<Array<{ object: ListedObject; backupId: string }>> {
    const top = topLevel(this.prefix);
    return (await this.bucket.list(legacyListPrefix(this.prefix))).flatMap((object) => {
      const backupId = LEGACY_NAME.exec(object.key.slice(top.length))?.[1];
      return backupId ? [{ object, backupId }] : [];
    });
  }

  /** The old scripts' backups, as this database's, newest first. */
  async legacyCatalog(database: string): Promise<CatalogEntry[]> {
    const entries: CatalogEntry[] = [];
    for (const { object, backupId } of await this.legacyObjects())
      entries.push(legacyCatalogEntry(database, object, backupId, await this.verification(database, backupId)));
    return newestFirst(entries);
  }

  /** An old script's file by backup id, if there is one. */
  async legacyObject(backupId: string): Promise<{ key: string; size: number; storageClass?: string } | undefined> {
    const key = legacyKey(this.prefix, backupId);
    return (await this.bucket.list(key)).find((o) => o.key === key);
  }

  /** Complete backups of a database, newest first, with verification state and storage class. */
  async catalog(database: string): Promise<CatalogEntry[]> {
    const [manifests, verifications, data] = await Promise.all([
      this.bucket.list(manifestPrefix(this.prefix, database)),
      this.bucket.list(verificationPrefix(this.prefix, database)),
      this.bucket.list(dataFolder(this.prefix, database)),
    ]);
    const verified = new Set(verifications.map((v) => recordName(v.key)));
    const classes = new Map(data.map((d) => [d.key, d.storageClass]));
    const entries: CatalogEntry[] = [];
    for (const m of manifests.filter((k) => k.key.endsWith('.json'))) {
      const manifest = parseManifest((await this.bucket.getText(m.key))!, m.key);
      const verification = verified.has(manifest.backupId) ? await this.verification(database, manifest.backupId) : undefined;
      entries.push(catalogEntry(manifest, m.key, classes.get(manifest.data.key), verification));
    }
    return newestFirst(entries);
  }
}
