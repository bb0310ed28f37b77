/**
 * The local stack: real servers on loopback for the quick start and the tests, no Docker.
 * `up` is idempotent (a running, healthy service is left alone), `down` stops every process
 * it started, and the settings pgwarden needs are written to an env file.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envFile, stateDir } from './paths';
import { isAlive, stopProcess, waitUntilReady } from './processes';
import { SAMPLE_DATABASE, SUPERUSER, postgres18Service, postgresService } from './services/postgres';
import { BUCKET, readOnlyS3Credentials, REGION, seaweedfsService } from './services/seaweedfs';
import { logFileOf, Service } from './services/service';
import { sinksService } from './services/sinks';
import { NAMESPACE, temporalService } from './services/temporal';
import { addMissingPorts, createState, loadState, movePorts, refreshPorts, saveState, StackState } from './state';
import { probeTestServer } from './test-server';
import { PINNED, postgres18Root, POSTGRES_18, toolPath } from './tools';

export const SERVICES: Service[] = [postgresService, postgres18Service, seaweedfsService, sinksService, temporalService];

type Log = (line: string) => void;

export interface UpResult {
  state: StackState;
  /** Services this call started (empty when everything was already running). */
  started: string[];
}

async function healthy(service: Service, state: StackState): Promise<boolean> {
  if (!isAlive(state.pids[service.name])) return false;
  return service.ready(state).catch(() => false);
}

export async function up(log: Log = () => undefined): Promise<UpResult> {
  mkdirSync(stateDir, { recursive: true });
  const state = loadState() ?? (await createState());
  await addMissingPorts(state);
  const started: string[] = [];
  const down: Service[] = [];
  for (const service of SERVICES) if (!(await healthy(service, state))) down.push(service);
  // A service that is down may have lost a port to another program since the last run.
  await refreshPorts(
    state,
    down.flatMap((s) => s.ports),
  );
  saveState(state);

  for (const service of down) {
    const stale = state.pids[service.name];
    if (stale && isAlive(stale)) await stopProcess(stale, service.stopSignal); // alive but unhealthy
    await service.prepare?.(state, log);
    // A port checked free can be taken before the service binds it (another stack starting):
    // then the service starts again on other ports, a few times at most.
    for (let attempt = 1; ; attempt++) {
      log(`starting ${service.name}`);
      const pid = service.start(state);
      state.pids[service.name] = pid;
      saveState(state);
      try {
        await waitUntilReady(service.name, () => service.ready(state), {
          timeoutMs: service.startTimeoutMs,
          logFile: logFileOf(service.name),
          pid,
        });
        break;
      } catch (err) {
        const lostPort = /address already in use|EADDRINUSE|bind\(\)|could not bind/i.test((err as Error).message);
        if (!lostPort || attempt >= 3)
          throw lostPort
            ? new Error(
                `${(err as Error).message}\n${service.name} lost its port to another program ${attempt} times; stop what holds ports ${service.ports.map((n) => state.ports[n]).join(', ')} or run scripts/stack up again`,
              )
            : err;
        if (isAlive(pid)) await stopProcess(pid, service.stopSignal);
        await movePorts(state, service.ports);
        saveState(state);
        log(
          `${service.name}: a port was taken before it could bind it; starting again on ${service.ports.map((n) => state.ports[n]).join(', ')}`,
        );
      }
    }
    started.push(service.name);
  }
  for (const service of SERVICES) await service.afterReady?.(state);
  if (started.length > 0) await probeTestServer(log);
  writeEnvFile(state);
  return { state, started };
}

/** Stops every service, or only the named ones (what a test run started). */
export async function down(log: Log = () => undefined, only?: string[]): Promise<string[]> {
  const state = loadState();
  if (!state) return [];
  const stopped: string[] = [];
  for (const service of [...SERVICES].reverse()) {
    if (only && !only.includes(service.name)) continue;
    const pid = state.pids[service.name];
    if (pid && isAlive(pid)) {
      log(`stopping ${service.name}`);
      await stopProcess(pid, service.stopSignal);
      stopped.push(service.name);
    }
    delete state.pids[service.name];
  }
  saveState(state);
  return stopped;
}

export interface ServiceStatus {
  name: string;
  running: boolean;
  healthy: boolean;
  pid?: number;
  detail: string;
}

export async function status(): Promise<ServiceStatus[]> {
  const state = loadState();
  if (!state) return SERVICES.map((s) => ({ name: s.name, running: false, healthy: false, detail: 'never started' }));
  const result: ServiceStatus[] = [];
  for (const service of SERVICES) {
    const pid = state.pids[service.name];
    const running = isAlive(pid);
    result.push({
      name: service.name,
      running,
      healthy: running && (await healthy(service, state)),
      pid: running ? pid : undefined,
      detail: service.describe(state),
    });
  }
  return result;
}

/** Settings for pgwarden (and the tests) against this stack. Holds local secrets: mode 0600. */
export function stackEnvironment(state: StackState): Record<string, string> {
  const p = state.ports;
  const c = state.credentials;
  return {
    TEMPORAL_ADDRESS: `127.0.0.1:${p.temporal}`,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_UI_URL: `http://127.0.0.1:${p.temporalUi}`,
    DATABASE_URL: `postgres://${SUPERUSER}:${c.postgresPassword}@127.0.0.1:${p.postgres}/${SAMPLE_DATABASE}`,
    BACKUP_S3_BUCKET: BUCKET,
    S3_PREFIX: 'database-backups',
    S3_ENDPOINT: `http://127.0.0.1:${p.s3}`,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: c.s3AccessKey,
    AWS_SECRET_ACCESS_KEY: c.s3SecretKey,
    S3_SERVER_SIDE_ENCRYPTION: 'AES256',
    ENCRYPTION_ALGORITHM: 'AES-256-GCM',
    BACKUP_ENCRYPTION_KEY: c.encryptionKey,
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(p.smtp),
    SMTP_SECURE: 'false',
    SMTP_USER: c.smtpUser,
    SMTP_PASSWORD: c.smtpPassword,
    NOTIFY_EMAIL_FROM: 'pgwarden@localhost',
    NOTIFY_EMAIL_TO: 'devops@example.com',
    SLACK_WEBHOOK_URL: `http://127.0.0.1:${p.sinksHttp}/slack/T00000000/B00000000/local-stack`,
    PAGERDUTY_ROUTING_KEY: pagerDutyKey(state),
    PAGERDUTY_EVENTS_URL: `http://127.0.0.1:${p.sinksHttp}/pagerduty/v2/enqueue`,
    // A stack made before this port existed has none; 19464 is its preferred value.
    METRICS_PORT: String(p.workerMetrics ?? 19464),
    // For tests and the quick start, not read by pgwarden itself:
    PGWARDEN_SINKS_URL: `http://127.0.0.1:${p.sinksHttp}`,
    PGWARDEN_TEST_SERVER_PATH: toolPath('temporalTestServer'),
    PGWARDEN_TEMPORAL_CLI_PATH: toolPath('temporal'),
    PGWARDEN_TEST_S3_READ_ONLY_ACCESS_KEY_ID: readOnlyS3Credentials(state).accessKeyId,
    PGWARDEN_TEST_S3_READ_ONLY_SECRET_ACCESS_KEY: readOnlyS3Credentials(state).secretAccessKey,
    // PostgreSQL 18 and its client tools (pg_dump compresses with zstd itself):
    PGWARDEN_TEST_PG18_URL: `postgres://${SUPERUSER}:${c.postgresPassword}@127.0.0.1:${p.postgres18}/postgres`,
    PGWARDEN_TEST_PG18_BIN_DIR: join(postgres18Root(), 'bin'),
  };
}

/** The stand-in PagerDuty service's key: made from the stack's own secrets, so a stack made before it has one too. */
function pagerDutyKey(state: StackState): string {
  return createHash('sha256').update(`pagerduty:${state.credentials.smtpPassword}`).digest('hex').slice(0, 32);
}

function writeEnvFile(state: StackState): void {
  const lines = [
    '# Written by scripts/stack for the local stack; regenerated on every `up`.',
    `# Tools: temporal ${PINNED.temporal.version}, temporal-test-server ${PINNED.temporalTestServer.version}, seaweedfs ${PINNED.seaweedfs.version}, PostgreSQL ${POSTGRES_18.postgres} (${POSTGRES_18.pypi} ${POSTGRES_18.version})`,
    ...Object.entries(stackEnvironment(state)).map(([k, v]) => `${k}=${v}`),
  ];
  writeFileSync(envFile, lines.join('\n') + '\n', { mode: 0o600 });
}
