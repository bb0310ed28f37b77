import { ApplicationFailure, ActivityFailure, RetryState } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { describeFailure } from '../../src/app/cli/failure';
import { connectionError } from '../../src/infra/postgres/client';
import { Secret } from '../../src/infra/config/secret';
import * as errors from '../../src/infra/errors/errors';
import { ConfigError, DatabaseConnectionError, exitCodeForFailureType, StorageError } from '../../src/infra/errors/errors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../../src/infra/errors/exit-codes';
import { deleteFailuresMessage, storageError } from '../../src/infra/storage/s3-errors';
import { toActivityFailure } from '../../activities/failures';
import { unknownNamespace, unknownNamespaceProblem } from '../../src/infra/temporal/namespace';

describe('the failure vocabulary', () => {
  // Every error class the module exports, constructed as its callers do.
  type ErrorClass = new (message: string, options?: { retryable?: boolean; cause?: unknown }) => errors.PgwardenError;
  const classes = (Object.values(errors) as unknown[]).filter(
    (v): v is ErrorClass => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof errors.PgwardenError,
  );
  const make = (Cls: ErrorClass, message = 'it broke') =>
    (Cls as unknown) === errors.ConfigError ? new errors.ConfigError([message]) : new Cls(message);
  /** The error as a CLI sees it after it crossed an activity and a workflow. */
  const behindAWorkflow = (err: errors.PgwardenError) => {
    const activity = new ActivityFailure(
      'activity failed',
      'x',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'id',
      toActivityFailure(err) as ApplicationFailure,
    );
    return new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
  };

  it('has a class for every failure type but the one workflows raise themselves', () => {
    expect(classes.map((c) => c.name).sort()).toEqual(
      Object.keys(errors.FAILURE_TYPES)
        .filter((t) => t !== 'RestoreNotApproved')
        .sort(),
    );
  });

  it.each(classes.map((c) => [c.name, c]))('%s: the same line and exit code raised here or behind a workflow', (name, Cls) => {
    const err = make(Cls as ErrorClass);
    expect(err.type).toBe(name);
    const here = describeFailure(err);
    expect(here.exitCode).toBe(errors.FAILURE_TYPES[err.type].exitCode);
    expect(describeFailure(behindAWorkflow(err))).toEqual({ lines: ['it broke'], exitCode: here.exitCode });
  });

  it('is non-retryable across the activity boundary unless the instance says a retry can help', () => {
    const nonRetryable = (e: errors.PgwardenError) => (toActivityFailure(e) as ApplicationFailure).nonRetryable;
    expect(nonRetryable(new errors.EncryptionError('wrong key'))).toBe(true);
    expect(nonRetryable(new DatabaseConnectionError('refused', { retryable: true }))).toBe(false);
    expect(nonRetryable(new StorageError('slow down', { retryable: true }))).toBe(false);
    const unexpected = new Error('ECONNRESET');
    expect(toActivityFailure(unexpected)).toBe(unexpected); // stays retryable under the activity's policy
  });

  it('keeps the underlying cause for logs but shows only its own line', () => {
    const low = new Error('password=hunter2 at host');
    const err = new DatabaseConnectionError('cannot connect to database "app"', { cause: low });
    expect(err.cause).toBe(low);
    expect(describeFailure(err).lines).toEqual(['cannot connect to database "app"']);
    expect((toActivityFailure(err) as ApplicationFailure).message).toBe('cannot connect to database "app"');
  });

  it('documents every exit code in the README, and maps unknown failures to 1', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Exit codes'));
    for (const code of new Set(Object.values(ExitCode))) expect(table).toMatch(new RegExp(`^\\| ${code} \\|`, 'm'));
    expect(exitCodeForFailureType('SomethingUnexpected')).toBe(1);
    expect(exitCodeForFailureType('toString')).toBe(1);
    expect(exitCodeForFailureType(undefined)).toBe(1);
    expect(exitCodeForFailureType('RestoreNotApproved')).toBe(ExitCode.NotApproved);
  });

  it('follows a failed workflow to the activity failure that caused it', () => {
    const cause = ApplicationFailure.create({
      type: 'DatabaseConnectionError',
      message: 'cannot connect to database "app": refused',
      nonRetryable: true,
    });
    const activity = new ActivityFailure('activity failed', 'preflight', '1', RetryState.NON_RETRYABLE_FAILURE, 'id', cause);
    const err = new WorkflowFailedError('Workflow execution failed', activity, RetryState.NON_RETRYABLE_FAILURE);
    expect(describeFailure(err)).toEqual({
      lines: ['cannot connect to database "app": refused'],
      exitCode: ExitCode.DatabaseConnection,
    });
  });

  it('prints configuration problems one per line', () => {
    expect(describeFailure(new ConfigError(['A: missing', 'B: bad']))).toEqual({
      lines: ['configuration: A: missing', 'configuration: B: bad'],
      exitCode: 78,
    });
  });
});

describe('database connection errors', () => {
  const target = { id: 'app', host: 'db', port: 5432, user: 'backup', database: 'app', password: new Secret('pw-never-shown') };
  it.each([
    ['ECONNREFUSED', true, /connection refused; check the server is running/],
    ['ENOTFOUND', false, /host not found/],
    ['28P01', false, /password authentication failed; check the password/],
    ['3D000', false, /database does not exist/],
    ['57P03', true, /starting up/],
  ])('%s: retryable=%s', (code, retryable, message) => {
    const err = connectionError(target, 'app', Object.assign(new Error('x pw-never-shown'), { code }));
    expect(err).toBeInstanceOf(DatabaseConnectionError);
    expect(err.retryable).toBe(retryable);
    expect(err.message).toMatch(/^cannot connect to database "app" at db:5432 as backup: /);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['replication', /pooler \(PgBouncer\) that does not pass replication connections.*PostgreSQL's own port$/],
    ['options', /refuses the startup parameter "options".*add options to the pooler's ignore_startup_parameters$/],
  ])('a pooler refusing the startup parameter %s: not retried, and says where to connect', (parameter, message) => {
    const err = connectionError(target, 'app', new Error(`unsupported startup parameter: ${parameter}`));
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/^cannot connect to database "app" at db:5432 as backup/);
    expect(err.message).toMatch(message);
  });

  it.each([
    ['query_wait_timeout', /kept it waiting for a free server connection \(query_wait_timeout\).*raise default_pool_size/],
  ])('a full pooler (%s): retried, with its setting named, and not read as a network timeout', (said, message) => {
    const err = connectionError(target, 'app', new Error(said));
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/check network access/);
  });

  it('scrubs the password from an unknown driver message', () => {
    const err = connectionError(target, 'app', new Error('weird failure mentioning pw-never-shown'));
    expect(err.message).not.toContain('pw-never-shown');
  });
});

describe('S3 errors', () => {
  const ctx = { bucket: 'backups', endpoint: 'http://s3.local', operation: 'HeadBucket' };
  // An S3 service's answers carry a request id; a web server's do not.
  const sdkError = (name: string, status?: number, fromS3 = true) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status, requestId: fromS3 ? 'R1' : undefined } });
  it.each([
    [
      sdkError('NotFound', 404, false),
      false,
      /^HeadBucket failed: http:\/\/s3.local answered 404 without an S3 request id, so it may not be an S3 service; check S3_ENDPOINT, then that bucket "backups" exists$/,
    ],
    [sdkError('NotFound', 404), false, /bucket "backups" at http:\/\/s3.local does not exist; create it or fix BACKUP_S3_BUCKET/],
    [sdkError('AccessDenied', 403), false, /access denied/],
    // 403s with a reason of their own: not "access denied ... the bucket policy" (the unknown key was).
    [
      sdkError('InvalidAccessKeyId', 403),
      false,
      /refused the request \(InvalidAccessKeyId\): the store knows no such access key; check AWS_ACCESS_KEY_ID$/,
    ],
    [
      sdkError('SignatureDoesNotMatch', 403),
      false,
      /\(SignatureDoesNotMatch\): the secret does not match the access key; check AWS_SECRET_ACCESS_KEY$/,
    ],
    [sdkError('RequestTimeTooSkewed', 403), false, /\(RequestTimeTooSkewed\): this worker's clock is more than 15 minutes off/],
    [sdkError('ExpiredToken', 400), false, /\(ExpiredToken\): the temporary credentials have expired; renew AWS_SESSION_TOKEN/],
    [sdkError('InvalidToken', 400), false, /\(InvalidToken\): the session token is not valid/],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), true, /cannot reach/],
    [sdkError('InternalError', 500), true, /InternalError/],
  ])('%s', (err, retryable, message) => {
    const e = storageError(err, ctx);
    expect(e).toBeInstanceOf(StorageError);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toMatch(message);
  });

  it('says an archived object must be brought back first, not that access was denied (S3 answers 403)', () => {
    const e = storageError(sdkError('InvalidObjectState', 403), {
      ...ctx,
      operation: 'GetObject p/shop/data/backup_20240101_000000.dump.enc',
    });
    expect(e.message).toBe(
      'GetObject p/shop/data/backup_20240101_000000.dump.enc failed: the object is in an archive storage class (GLACIER or DEEP_ARCHIVE) in bucket "backups" at http://s3.local; bring it back first (aws s3api restore-object --bucket backups --key p/shop/data/backup_20240101_000000.dump.enc --restore-request Days=2: hours from GLACIER, up to 48 from DEEP_ARCHIVE), then try again',
    );
  });
});

describe('cleanup delete failures', () => {
  it('say how many, which codes, one example and what to do, in one line', () => {
    const failures = [
      { key: 'p/db/manifests/backup_20240101_000000.json', code: 'AccessDenied' },
      { key: 'p/db/manifests/backup_20240102_000000.json', code: 'AccessDenied' },
      { key: 'p/db/data/x (upload u1)', code: 'NoSuchUpload' },
    ];
    expect(deleteFailuresMessage(failures, 2)).toBe(
      'deleted 2 backup(s) but could not delete 3 object(s) (AccessDenied x2, NoSuchUpload; e.g. p/db/manifests/backup_20240101_000000.json): ' +
        'the S3 credentials (AWS_ACCESS_KEY_ID) may not delete objects here: allow s3:DeleteObject on the bucket, then run pgwarden cleanup again',
    );
    expect(deleteFailuresMessage([{ key: 'k', code: 'InternalError' }], 0)).toBe(
      'deleted 0 backup(s) but could not delete 1 object(s) (InternalError; e.g. k): run pgwarden cleanup again; if it fails the same way, check the S3 store',
    );
  });
});

describe('a namespace Temporal does not have', () => {
  it.each([
    [new Error("Namespace not found: 'prod'"), 'prod'],
    [new Error('5 NOT_FOUND: Namespace prod-eu is not found.'), 'prod-eu'],
    [new Error('5 NOT_FOUND: workflow not found'), undefined],
  ])('%s', (err, namespace) => expect(unknownNamespace(err)).toBe(namespace));

  it('is a configuration failure naming TEMPORAL_NAMESPACE (exit 78)', () => {
    expect(describeFailure(new Error("Namespace not found: 'prod'"))).toEqual({
      lines: [`configuration: ${unknownNamespaceProblem('prod')}`],
      exitCode: 78,
    });
  });
});
