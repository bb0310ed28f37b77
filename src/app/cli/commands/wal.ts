/**
 * `pgwarden wal start|stop|status [--server ID]`: continuous WAL archiving of the servers named
 * in WAL_ARCHIVE, one long-running workflow each (`wal-archive-<server>`), supervised by
 * Temporal. Start is idempotent: a server already archived is said so, not started twice.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { Config } from '../../../infra/config/config';
import { UsageError } from '../../../infra/errors/errors';
import { hostQueueInput } from '../../../infra/config/wal';
import { runLink } from '../../../infra/temporal/links';
import { CommandContext } from '../context';
import { startRun } from '../start-run';

export const walArchiveId = (server: string) => `wal-archive-${server}`;

/** How long `wal stop` waits for the round to ship the open segment and end. */
const STOP_WAIT_MS = 60_000;

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

export async function runWalStart(ctx: CommandContext, options: { server?: string }): Promise<void> {
  const config = ctx.config();
  const names = walServers(config, options.server);
  await ctx.withTemporalClient(async (client) => {
    for (const server of names) {
      const line = await startArchiving(client, config, server);
      process.stdout.write(`${line}\n`);
    }
  });
}

async function startArchiving(client: Client, config: Config, server: string): Promise<string> {
  const id = walArchiveId(server);
  try {
    const run = await startRun(client, config, {
      workflow: 'walArchive',
      operation: 'wal-archive',
      database: server,
      fixedId: id,
      args: [{ server, maxLagSeconds: config.wal.maxLagSeconds, ...hostQueueInput(config, server) }],
      summary: `WAL archiving of ${server}`,
    });
    return `${server}: archiving started (workflow ${run.id}${run.link ? `, ${run.link}` : ''})`;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const link = runLink(config.temporal.uiUrl, client.options.namespace, id);
    return `${server}: already archiving (workflow ${id}${link ? `, ${link}` : ''})`;
  }
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
      process.stdout.write(
        ended
          ? `${server}: archiving stopped; the open segment was shipped\n`
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
        // The round's own words are its heartbeat details, which only the raw description carries.
        const pending = d.raw.pendingActivities?.[0];
        const details = pending?.heartbeatDetails?.payloads?.[0]
          ? (client.options.loadedDataConverter.payloadConverter.fromPayload(pending.heartbeatDetails.payloads[0]) as {
              summary?: string;
              newestArchived?: string;
              archivedLsn?: string;
            })
          : undefined;
        out.push({
          server,
          status: d.status.name,
          newestArchived: details?.newestArchived ?? null,
          archivedLsn: details?.archivedLsn ?? null,
          doing:
            details?.summary ?? (pending ? `attempt ${pending.attempt}: ${pending.lastFailure?.message ?? 'starting'}` : null),
        });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        out.push({ server, status: 'NOT STARTED', newestArchived: null, archivedLsn: null, doing: 'run pgwarden wal start' });
      }
    }
    process.stdout.write(
      options.json
        ? JSON.stringify(out, null, 2) + '\n'
        : out.map((s) => `${s.server}: ${String(s.status).toLowerCase()}; ${s.doing ?? ''}`).join('\n') + '\n',
    );
  });
}
