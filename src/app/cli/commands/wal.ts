/**
 * `pgwarden wal start|stop|status [--server ID]`: continuous WAL archiving of the servers named
 * in WAL_ARCHIVE, one long-running workflow each (`wal-archive-<server>`), supervised by
 * Temporal. Start is idempotent: a server already archived is said so, not started twice.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client, WorkflowExecutionDescription, WorkflowHandle } from '@temporalio/client';
import { Config } from '../../../infra/config/config';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput, walArrivesVia } from '../../../infra/config/wal';
import { runLink } from '../../../infra/temporal/links';
import { CommandContext } from '../context';
import { startRun } from '../start-run';

export const walArchiveId = (server: string) => `wal-archive-${server}`;

/** How long `wal stop` waits for the round to ship the open segment and end. */
const STOP_WAIT_MS = 60_000;
/**
 * How long `wal start` watches the first round: its checks (the server's settings, the tools,
 * the key, the slot) take a second or two, and a server that cannot be archived is said now,
 * with its exit code, not in a mail after the command said "started".
 */
const FIRST_ROUND_WAIT_MS = 30_000;

/** The servers of WAL_ARCHIVE a command is about: the one given (which must be one of them), or all. */
export function walServers(config: Config, given?: string): string[] {
  if (!config.wal.servers.length)
    throw new UsageError(
      'no server is archived: set WAL_ARCHIVE to the databases whose servers to archive (e.g. WAL_ARCHIVE=shop)',
    );
  if (!given) return config.wal.servers;
  if (!config.wal.servers.includes(given))
    throw new UsageError(`--server ${given}: not in WAL_ARCHIVE (${config.wal.servers.join(', ')})`);
  return [given];
}

export async function runWalStart(ctx: CommandContext, options: { server?: string; acceptGap?: boolean }): Promise<void> {
  const config = ctx.config();
  const names = walServers(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    for (const server of names) {
      const line = await startArchiving(client, config, server, options.acceptGap === true);
      process.stdout.write(`${line}\n`);
    }
  });
}

async function startArchiving(client: Client, config: Config, server: string, acceptGap: boolean): Promise<string> {
  const id = walArchiveId(server);
  try {
    const run = await startRun(client, config, {
      workflow: 'walArchive',
      operation: 'wal-archive',
      database: server,
      fixedId: id,
      args: [
        {
          server,
          maxLagSeconds: config.wal.maxLagSeconds,
          ...hostQueueInput(config, server),
          ...(acceptGap ? { acceptGap } : {}),
        },
      ],
      summary: `WAL archiving of ${server}`,
    });
    const started = `${server}: archiving started (workflow ${run.id}${run.link ? `, ${run.link}` : ''})`;
    const first = await firstRound(client, run.handle);
    switch (first.kind) {
      case 'streaming':
        return `${started}; ${first.summary}`;
      case 'retrying':
        return `${started}; its first round failed and is retried (pgwarden wal status): ${first.message}`;
      case 'waiting':
        return `${started}; no worker has begun it within ${FIRST_ROUND_WAIT_MS / 1000} s: start the worker on the server's host (pgwarden worker)`;
    }
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
    return `${server}: already archiving (workflow ${id}${link ? `, ${link}` : ''})`;
  }
}

type FirstRound = { kind: 'streaming'; summary: string } | { kind: 'retrying'; message: string } | { kind: 'waiting' };

/**
 * The first round's fate: streaming (its first heartbeat), failing and retried (a passing
 * outage), or not begun. A run that ended (a refusal: wal_level, REPLICATION, the tools) is
 * thrown as its failure, so the command exits with its line and code.
 */
async function firstRound(client: Client, handle: WorkflowHandle): Promise<FirstRound> {
  const until = Date.now() + FIRST_ROUND_WAIT_MS;
  for (;;) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') {
      await handle.result(); // throws the run's failure
      return { kind: 'waiting' }; // ended without one: stopped at once by someone
    }
    const pending = d.raw.pendingActivities?.[0];
    const details = heartbeatOf(client, pending);
    // The round knows where the archive goes on from once its checks passed: it streams.
    if (details?.archivedLsn && details.summary) return { kind: 'streaming', summary: details.summary };
    if (pending?.lastFailure?.message) return { kind: 'retrying', message: pending.lastFailure.message };
    if (Date.now() >= until) return { kind: 'waiting' };
    await new Promise((r) => setTimeout(r, 250));
  }
}

type RoundDetails = { summary?: string; newestArchived?: string; archivedLsn?: string };
type PendingActivity = NonNullable<WorkflowExecutionDescription['raw']['pendingActivities']>[number];

/** The round's own words: its heartbeat details, which only the raw description carries. */
function heartbeatOf(client: Client, pending: PendingActivity | undefined): RoundDetails | undefined {
  const payload = pending?.heartbeatDetails?.payloads?.[0];
  return payload ? (client.options.loadedDataConverter.payloadConverter.fromPayload(payload) as RoundDetails) : undefined;
}

export async function runWalStop(ctx: CommandContext, options: { server?: string }): Promise<void> {
  const config = ctx.config();
  const names = walServers(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    for (const server of names) {
      const handle = client.workflow.getHandle(walArchiveId(server));
      try {
        await handle.cancel();
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        process.stdout.write(`${server}: not archiving\n`);
        continue;
      }
      // The round ships the open segment before it ends; without a worker nothing ends it now.
      const ended = await Promise.race([
        handle.result().then(
          () => true,
          () => true,
        ),
        new Promise<false>((r) => setTimeout(() => r(false), STOP_WAIT_MS).unref()),
      ]);
      const byCommand = walArrivesVia(config.wal, server) === 'archive_command';
      process.stdout.write(
        ended
          ? byCommand
            ? `${server}: watching stopped; the server's archive_command still sends its WAL, but nothing alerts when it fails\n`
            : `${server}: archiving stopped; the open segment was shipped\n`
          : `${server}: stop requested; archiving ends as soon as a worker runs it (no worker answered within ${STOP_WAIT_MS / 1000} s)\n`,
      );
    }
  });
}

export async function runWalStatus(ctx: CommandContext, options: { server?: string; json?: boolean }): Promise<void> {
  const config = ctx.config();
  const names = walServers(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    const out: Array<Record<string, unknown>> = [];
    for (const server of names) {
      try {
        const d = await client.workflow.getHandle(walArchiveId(server)).describe();
        const pending = d.raw.pendingActivities?.[0];
        const details = heartbeatOf(client, pending);
        out.push({
          server,
          via: walArrivesVia(config.wal, server),
          status: d.status.name,
          newestArchived: details?.newestArchived ?? null,
          archivedLsn: details?.archivedLsn ?? null,
          doing:
            details?.summary ?? (pending ? `attempt ${pending.attempt}: ${pending.lastFailure?.message ?? 'starting'}` : null),
        });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        out.push({
          server,
          via: walArrivesVia(config.wal, server),
          status: 'NOT STARTED',
          newestArchived: null,
          archivedLsn: null,
          doing: 'run pgwarden wal start',
        });
      }
    }
    process.stdout.write(
      options.json
        ? JSON.stringify(out, null, 2) + '\n'
        : out.map((s) => `${s.server}: ${String(s.status).toLowerCase()}; ${s.doing ?? ''}`).join('\n') + '\n',
    );
  });
}
