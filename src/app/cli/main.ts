/**
 * `pgwarden`: the single entry point for people. Commands validate their input and the
 * configuration first, then talk to Temporal; every failure ends in one clear line per
 * problem and an exit code from the README's table.
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode } from '../../infra/errors/exit-codes';
import { CommandContext, GlobalOptions } from './context';
import { PGWARDEN_VERSION } from '../version';

// Each command's module (and with it the Temporal and AWS SDKs) loads when that command runs:
// --help and bad input answer at once.

/** A problem commander found in the command line, as the one line every failure prints. Pure. */
export function usageProblemLine(text: string): string {
  const problem = text
    .replace(/^error: /, '')
    .replace(/\.\s*$/, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  return `pgwarden: ${problem} (run with --help for usage)\n`;
}

export function buildProgram(run: (action: () => Promise<void>) => Promise<void>): Command {
  const program = new Command('pgwarden')
    .description('Durable PostgreSQL backup, verification and disaster recovery on Temporal')
    .addOption(
      new Option('--config <file>', 'read settings from an env file (KEY=value lines; variables set in the environment win)').env(
        'PGWARDEN_CONFIG',
      ),
    )
    .version(PGWARDEN_VERSION, '-V, --version', "print pgwarden's version")
    // Commander's own problems (a missing argument, an unknown option) as one line like ours.
    .configureOutput({ outputError: (text, write) => write(usageProblemLine(text)) })
    .exitOverride();
  const ctx = () => new CommandContext(program.opts<GlobalOptions>());

  program
    .command('worker')
    .description('run the worker that executes pgwarden workflows and activities')
    .action(() => run(async () => (await import('./commands/worker')).runWorkerCommand(ctx())));

  const consoleCommand = program
    .command('console')
    .description('run the incident console: open incidents, each step as a form, acknowledgement links (CONSOLE_* settings)')
    .option('--port <port>', 'listen on this port (default CONSOLE_PORT, 8088; 0: any free one)')
    .action((opts) => run(async () => (await import('./commands/console')).runConsoleCommand(ctx(), opts)));
  consoleCommand
    .command('hash-password')
    .description("read a password on stdin and print the hash for an operator's entry in CONSOLE_OPERATORS")
    .action(() => run(async () => (await import('./commands/console')).runHashPassword()));

  program
    .command('check')
    .description('check that a database can be backed up: database, pg_dump, bucket, key (runs on the worker)')
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('--json', 'print the report as JSON')
    .action((opts) => run(async () => (await import('./commands/check')).runCheckCommand(ctx(), opts)));

  program
    .command('backup')
    .description('back up a database now: pg_dump, compress, encrypt, upload to S3 with a manifest (runs on the worker)')
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('-r, --reason <text>', 'why (recorded in the manifest and notices), e.g. "before migration 42"')
    .option('--no-wait', 'start the backup and return at once with its workflow id')
    .option('--fail-fast', 'give up at the first failure instead of retrying transient ones')
    .option('--allow-concurrent', 'start even while another backup of the same database is running')
    .option('--json', 'print the result as JSON')
    .action((opts) => run(async () => (await import('./commands/backup')).runBackupCommand(ctx(), opts)));

  program
    .command('verify')
    .description(
      'verify backups: checksums, full decryption, test restore into a temporary database, row counts, size (runs on the worker)',
    )
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('-b, --backup <id>', 'the backup to verify, e.g. backup_20240101_120000 (default: the newest)')
    .option('--all-unverified', 'verify every backup that was never verified, oldest first (base backups too)')
    .option(
      '--base <id>',
      'WAL_ARCHIVE: verify this base backup alone (pg_verifybackup, recovery in a temporary instance, row counts; pgwarden pitr list)',
    )
    .option('--json', 'print the results as JSON')
    .action((opts) => run(async () => (await import('./commands/verify')).runVerifyCommand(ctx(), opts)));

  program
    .command('restore-test')
    .description(
      "the strategy's monthly restore test now: the newest backup restored into a temporary database and checked, and (WAL_ARCHIVE) the server recovered to a random point in a temporary instance; timed against the RTO, reported",
    )
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('--json', 'print the report as JSON')
    .action((opts) => run(async () => (await import('./commands/restore-test')).runRestoreTestCommand(ctx(), opts)));

  program
    .command('restore')
    .description(
      'restore a backup into a new database (--new-db) or in place after an approval; list backups (--list); approve or reject a waiting restore',
    )
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option(
      '-f, --file <backup>',
      "backup id, backup key, or an old script's backup_YYYYMMDD_HHMMSS.sql.gz.enc (default: the newest complete backup)",
    )
    .option('--new-db <name>', 'restore into this new database instead of in place')
    .option('--force', 'in place: do not wait for an approval')
    .option(
      '--no-owner',
      'leave object ownership out: everything restored belongs to the backup user (default: owners as backed up)',
    )
    .option(
      '--create-roles',
      "create the roles the backup's objects belong or are granted to, missing on this server, from the backup's globals (a new server)",
    )
    .option('--approval-timeout <minutes>', 'in place: give up (changing nothing) without an approval within this time', '60')
    .option('--approve <workflow-id>', 'approve a restore that waits for approval')
    .option('--reject <workflow-id>', 'reject a restore that waits for approval')
    .option('--as <name>', 'who approves or rejects (default: your user name)')
    .option('--note <text>', 'a note with --approve / --reject')
    .option('--list', 'list complete backups, newest first: time, size, format, verified, storage class')
    .option('--no-wait', 'start the restore and return at once with its workflow id')
    .option(
      '--pitr',
      'point-in-time recovery of a WAL_ARCHIVE server into a new instance on the worker (with --to, --to-lsn or --to-name)',
    )
    .option('--to <time>', '--pitr: an ISO time with its zone, latest, or immediate')
    .option('--to-lsn <lsn>', '--pitr: a WAL position (16/B374D848)')
    .option('--to-name <name>', '--pitr: a restore point (pgwarden pitr mark, or pg_create_restore_point())')
    .option(
      '--base <id>',
      '--pitr: start from this base backup (default: the newest one consistent before the target; pgwarden pitr list)',
    )
    .option('--server <id>', '--pitr: the server of WAL_ARCHIVE (default: the only one)')
    .option('--port <port>', '--pitr: port of the new instance (default: a free one)')
    .option('--data-dir <dir>', '--pitr: its data directory, which must not exist (default: under PGWARDEN_WORK_DIR)')
    .option('--stop-after', '--pitr: stop the instance once recovered and keep its data directory')
    .option('--json', 'print JSON')
    .action((opts) =>
      run(async () => {
        const problem = (await import('./restore-options')).restoreOptionsProblem(opts);
        if (problem) throw new (await import('../../infra/errors/errors')).UsageError(problem);
        return opts.pitr
          ? (await import('./commands/pitr')).runPitrRestore(ctx(), opts)
          : (await import('./commands/restore')).runRestoreCommand(ctx(), opts);
      }),
    );

  program
    .command('basebackup')
    .description('take a base backup (pg_basebackup) of a WAL_ARCHIVE server: the start of point-in-time recovery')
    .option('--server <id>', 'the server of WAL_ARCHIVE (default: the only one)')
    .option('--reason <text>', 'recorded in the manifest')
    .option('--full', 'a full one even where BASEBACKUP_INCREMENTALS would take an incremental')
    .option('--json', 'print the manifest as JSON')
    .action((opts) => run(async () => (await import('./commands/pitr')).runBaseBackup(ctx(), opts)));

  const pitr = program
    .command('pitr')
    .description('the point-in-time archive, restore points, and instances left running by point-in-time restores');
  pitr
    .command('mark')
    .description(
      'make a named restore point (pg_create_restore_point) that restore --pitr --to-name finds; returns once the archive holds it',
    )
    .argument('<name>', 'the restore point name (at most 63 bytes), e.g. before-migration-42')
    .option('--server <id>', 'the server of WAL_ARCHIVE (default: the only one)')
    .option('--json', 'print the record as JSON')
    .action((name, opts) => run(async () => (await import('./commands/pitr')).runPitrMark(ctx(), name, opts)));
  pitr
    .command('points')
    .description('the restore points made with pitr mark, newest first, and the base backup a restore to each starts from')
    .option('--server <id>', 'the server of WAL_ARCHIVE (default: the only one)')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/pitr')).runPitrPoints(ctx(), opts)));
  pitr
    .command('list')
    .description(
      'the point-in-time archive: base backups newest first (how far recovery from each reaches), the recoverable window, the WAL archived',
    )
    .option('--server <id>', 'the server of WAL_ARCHIVE (default: the only one)')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/pitr')).runPitrList(ctx(), opts)));
  pitr
    .command('stop')
    .description('stop the instance of a point-in-time restore; its data directory stays')
    .requiredOption('--data-dir <dir>', 'the data directory the restore printed')
    .option('--server <id>', 'the server of WAL_ARCHIVE (default: the only one)')
    .action((opts) => run(async () => (await import('./commands/pitr')).runPitrStop(ctx(), opts)));

  program
    .command('recover-table')
    .description(
      'bring tables back as they were at a point in time, beside the live ones under new names (or in their place), from the point-in-time archive or a logical backup',
    )
    .option(
      '--table <schema.table>',
      '(required) a table to recover; repeat for several',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('--to <time>', 'an ISO time with its zone (or latest); one of --to, --to-lsn, --to-name is required')
    .option('--to-lsn <lsn>', 'a WAL position (16/B374D848)')
    .option('--to-name <name>', 'a restore point (pgwarden pitr mark, or pg_create_restore_point())')
    .option('--as <name>', "the recovered table's name, with one --table (default: <table>_recovered)")
    .option('--into <database>', "the configured database it comes back into (default: the server's own)")
    .option(
      '--replace',
      "put the copy in the live table's place after an approval (the live rows kept as <table>_replaced; its foreign keys, owner and grants kept)",
    )
    .option(
      '--from-backup [backup]',
      'from a logical backup (the newest taken before --to, or this one) instead of the WAL archive; the default when no archive covers --to',
    )
    .option('--force', 'with --replace: do not wait for an approval')
    .option(
      '--approval-timeout <minutes>',
      'with --replace: give up (changing nothing) without an approval within this time',
      '60',
    )
    .option('--server <id>', 'the database the tables come from: a server of WAL_ARCHIVE (default: the only one)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  pgwarden recover-table --table shop.orders --to 2026-11-30T09:41:59Z',
        '  pgwarden recover-table --table shop.orders --as orders_before_delete --to 2026-11-30T09:41:59+01:00',
        '  pgwarden recover-table --table shop.orders --table shop.order_items --to-name before_migration',
        '  pgwarden recover-table --table shop.orders --replace --to 2026-11-30T09:41:59Z   # approve: pgwarden restore --approve ID',
      ].join('\n'),
    )
    .action((opts) => run(async () => (await import('./commands/recover-table')).runRecoverTable(ctx(), opts)));

  program
    .command('cleanup')
    .description(
      'delete backups outside the retention policy (never the newest ones or the newest verified), remove leftovers, apply the S3 lifecycle (runs on the worker)',
    )
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('--dry-run', 'list what would be deleted and why; change nothing')
    .option('--json', 'print the report as JSON')
    .action((opts) => run(async () => (await import('./commands/cleanup')).runCleanupCommand(ctx(), opts)));

  program
    .command('report')
    .description(
      'backup success rate, size and duration trends, verification and restore times, storage used and its monthly cost (runs on the worker)',
    )
    .option('-d, --database <name>', 'one configured database (default: all configured)')
    .option('--days <n>', 'the window, in days up to today', '30')
    .option('--json', 'print the figures as JSON')
    .action((opts) => run(async () => (await import('./commands/report')).runReportCommand(ctx(), opts)));

  const schedules = program
    .command('schedules')
    .description('Temporal Schedules instead of cron: daily backup, weekly verify, monthly cleanup per database');
  schedules
    .command('apply')
    .description('create or update the schedules from configuration (idempotent)')
    .option('--prune', 'remove pgwarden schedules of databases no longer configured')
    .option('--json', 'print the result as JSON')
    .action((opts) => run(async () => (await import('./commands/schedules')).runSchedulesApply(ctx(), opts)));
  schedules
    .command('list')
    .description('pgwarden schedules: state, next and last run')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/schedules')).runSchedulesList(ctx(), opts)));
  for (const action of ['pause', 'unpause', 'trigger'] as const) {
    schedules
      .command(`${action} <schedule-id>`)
      .description(`${action} a schedule`)
      .option('--note <text>', 'why (pause/unpause)')
      .action((id, opts) => run(async () => (await import('./commands/schedules')).runSchedulesAction(ctx(), action, id, opts)));
  }
  schedules
    .command('backfill <schedule-id>')
    .description('run the schedule for the times it would have run between --from and --to')
    .requiredOption('--from <time>', 'ISO time')
    .requiredOption('--to <time>', 'ISO time')
    .action((id, opts) =>
      run(async () => (await import('./commands/schedules')).runSchedulesAction(ctx(), 'backfill', id, opts)),
    );

  const wal = program
    .command('wal')
    .description('continuous WAL archiving (point-in-time recovery) of the servers in WAL_ARCHIVE');
  wal
    .command('start')
    .description('start archiving (idempotent): pg_receivewal into S3, supervised by Temporal')
    .option('--server <id>', 'one server of WAL_ARCHIVE (default: all)')
    .option(
      '--accept-gap',
      'go on past a gap archiving stopped at (a slot the server gave up): from what the server still has; take a base backup after',
    )
    .action((opts) => run(async () => (await import('./commands/wal')).runWalStart(ctx(), opts)));
  wal
    .command('stop')
    .description('stop archiving; the open segment is shipped first')
    .option('--server <id>', 'one server of WAL_ARCHIVE (default: all)')
    .action((opts) => run(async () => (await import('./commands/wal')).runWalStop(ctx(), opts)));
  wal
    .command('status')
    .description('whether each server is archived, and the newest WAL in the archive')
    .option('--server <id>', 'one server of WAL_ARCHIVE (default: all)')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/wal')).runWalStatus(ctx(), opts)));

  wal
    .command('fetch <file> <path>')
    .description(
      "by hand, as a recovery's restore_command: write archived WAL file <file> to <path> (exit 66: not archived; 126: recovery must stop); no worker or Temporal needed",
    )
    .option('--server <id>', 'the server whose archive to read (default: the only one of WAL_ARCHIVE)')
    .action((file, path, opts) => run(async () => (await import('./commands/by-hand')).runWalFetch(ctx(), file, path, opts)));

  wal
    .command('push <path>')
    .description(
      "as a server's archive_command (wal push %p): store the completed WAL file at <path> in the archive, as streaming does; beside streaming it keeps WAL reaching S3 while the worker is down; no worker or Temporal needed",
    )
    .option('--server <id>', 'the server whose archive to write (default: the only one of WAL_ARCHIVE)')
    .action((path, opts) => run(async () => (await import('./commands/by-hand')).runWalPush(ctx(), path, opts)));

  program
    .command('decrypt [key]')
    .description(
      'by hand: a stored object (its bucket key, or --file) decrypted and decompressed back to what pg_dump, pg_basebackup or PostgreSQL wrote; no worker or Temporal needed',
    )
    .option('--file <path>', 'a downloaded copy of the object instead of a key')
    .option('-o, --out <file>', 'write to this new file (default: stdout, which must not be a terminal)')
    .option('--keep-compression', 'decrypt only; leave the compression its name says (.zst, .gz, .lz4)')
    .action((key, opts) => run(async () => (await import('./commands/by-hand')).runDecrypt(ctx(), key, opts)));

  const dr = program
    .command('dr')
    .description('disaster recovery: the six-step runbook with escalation (also driven from the Temporal UI)')
    .addHelpText(
      'after',
      `
An incident, start to end (ids look like dr-shop-20261124T021500Z):
  pgwarden dr start --summary "orders database corrupted" --database shop --as alice
  pgwarden dr ack ID --as alice
  pgwarden dr status ID --watch
  pgwarden dr assess ID --scope "orders since 02:00" --customer-impact yes --as alice
  pgwarden dr select ID --as alice                      # the proposal: the point before the failure, or the backup
  pgwarden dr select ID --backup backup_20261124_020000 --new-db shop_restored --as alice
  pgwarden dr select ID --to 2026-11-24T02:14:59Z --as alice   # the server as of then, into a new instance
  pgwarden dr select ID --to-name before-migration --as alice  # the server as of a restore point (pitr mark)
  pgwarden dr select ID --table shop.orders --as alice  # one table as of the proposed point, beside the live one
  pgwarden dr approve ID --as alice                     # an in-place restore
  pgwarden dr note ID --text "restore at 60%, ~20 min left" --tell --as alice   # a status update to all alerted
  pgwarden dr escalate ID --level 2 --reason "restore failed twice" --as alice   # the manager now, not at 1 h
  pgwarden dr resume ID --note "orders flowing again" --as alice
  pgwarden dr oncall                                    # who an incident opened now alerts first
  pgwarden dr oncall --stand-in carol@example.com --until 8h   # Carol takes on-call for 8 hours
  pgwarden dr oncall --handover-note "replica 2's WAL lag flapped twice tonight" --as alice   # told at the handover`,
    );
  dr.command('start')
    .description('open an incident: DisasterRecoveryWorkflow, level 1 alert at once')
    .requiredOption('-s, --summary <text>', 'one line saying what failed')
    .option('-d, --database <name>', 'configured database id (default: the only one configured)')
    .option('--failure-time <iso>', 'when it failed (default: now); the backup proposed is older')
    .option('--severity <sev>', 'SEV1, SEV2 or SEV3', 'SEV1')
    .option(
      '--drill',
      'a drill (severity DRILL): level 1 only, restores into new places only, refused while a real incident is open',
    )
    .option('--attended', 'with --drill: wait for on-call at each human step (default: pgwarden takes them)')
    .option(
      '--scenario <name>',
      'with --drill: server-lost, the annual complete recovery scenario (the server from its WAL archive into a new instance)',
    )
    .option('--matrix <name>', 'escalation matrix (default: default)')
    .option('--as <name>', 'who opens it (default: your user name)')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/dr')).runDrStart(ctx(), opts)));
  dr.command('status <incident-id>')
    .description('where the incident stands: step, escalation, backup, restore, timeline')
    .option('--json', 'print the whole state as JSON')
    .option('-w, --watch [seconds]', 'print it again whenever it changes (every 5 s by default) until the incident closes')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStatus(ctx(), id, opts)));
  dr.command('oncall')
    .description(
      'who is on call now (ESCALATION_ONCALL, with the stand-ins set here) and the shifts after: who an incident opened now alerts first',
    )
    .option('--matrix <name>', 'escalation matrix (default: default)')
    .option('--next <n>', 'how many shifts to show, the current one first (default 4; with --ics 26)')
    .option('--stand-in <address>', "put someone on call in the rotation's place, from --from (default now) until --until")
    .option('--backup', 'with --stand-in: as the backup on call (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES), not on call')
    .option('--from <time>', 'when the stand-in begins: an ISO time with its zone, now, or from now (30m, 8h, 2d)')
    .option('--until <time>', 'when the stand-in ends: an ISO time with its zone, or from --from (8h, 2d)')
    .option('--remove-stand-in <id>', 'take a stand-in back (its id, as listed: s1, s2, ...)')
    .option(
      '--handover-note <text>',
      'leave a note for whoever comes on call next: told with the handover (a newer note replaces it)',
    )
    .option('--clear-handover-note', 'take the handover note back')
    .option('--as <name>', 'with --handover-note: who leaves it (default: your user name)')
    .option('--review', 'the shift so far as its handover will sum it up: backups stored, failed runs, closed incidents')
    .option('--ics', 'print the shifts as an iCalendar file, to import into a calendar (pgwarden dr oncall --ics > oncall.ics)')
    .option('--who <address>', "with --ics: that person's shifts alone")
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/dr-oncall')).runDrOncall(ctx(), opts)));
  dr.command('list')
    .description('open incidents (--all: closed ones too)')
    .option('--all', 'include closed incidents')
    .option('--json', 'print JSON')
    .action((opts) => run(async () => (await import('./commands/dr')).runDrList(ctx(), opts)));
  const step = (name: string, description: string) =>
    dr
      .command(`${name} <incident-id>`)
      .description(description)
      .option('--as <name>', 'who (default: your user name)')
      .option('--json', 'print the incident state as JSON');
  step('ack', 'acknowledge: stops the level 1 reminders (levels 2 and 3 still follow unless resolved)')
    .option('--take-over', 'take the lead over from whoever acknowledged (a shift change): everyone alerted is told')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'ack', id, opts)));
  step('assess', 'step 2: record the impact assessment')
    .option('--scope <text>', '(required) scope of data loss, e.g. "orders since 02:00"')
    .option('--customer-impact <yes|no>', '(required) customer-facing service impact (yes: level 4, customer notification)')
    .option('--notes <text>', 'anything else')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'assess', id, opts)));
  step(
    'select',
    'step 3: confirm the proposal, or pick a backup (in place unless --new-db), a point in time (--to, --to-name), or tables (--table)',
  )
    .option('--backup <id>', 'another backup than the proposed one')
    .option('--new-db <name>', 'restore into this new database instead of in place')
    .option(
      '--to <time|latest>',
      'the server as of this time (ISO with its zone) into a new instance; with --table, the tables as of it',
    )
    .option('--to-name <name>', 'as --to, as of a restore point (pgwarden pitr mark; pgwarden pitr points lists them)')
    .option(
      '--table <schema.table>',
      'recover this table (repeat for more) into the live database, beside it as <table>_recovered',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .option('--replace', "with --table: swap the recovered tables into the live ones' place, after an approval (dr approve)")
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'select', id, opts)));
  step('approve', 'step 4: approve the in-place restore')
    .option('--note <text>', 'a note')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'approve', id, opts)));
  step('resume', 'step 6: confirm operations resumed; closes the incident')
    .option('--note <text>', 'a note')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'resume', id, opts)));
  step('note', 'any time while open: a line in the timeline; with --tell, a status update to everyone alerted so far')
    .option('--text <text>', '(required) what to put on the record, e.g. "restore at 60%, about 20 min left"')
    .option('--tell', 'mail and post it to everyone alerted so far (level 1, and each level reached), in the Slack thread')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'note', id, opts)));
  step('escalate', 'alert the manager (2) or the executive (3) now, before the escalation timer, saying why')
    .option('--level <level>', '(required) 2 or manager, 3 or executive (3 alerts the manager too, if not yet)')
    .option('--reason <text>', '(required) why they are needed now, e.g. "restore failed twice, data loss decision needed"')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'escalate', id, opts)));
  step(
    'add-responder',
    'ask someone to help now (a DBA, another team), saying why: mailed, and from then told what everyone alerted is',
  )
    .option('--who <address>', '(required) their e-mail address')
    .option('--reason <text>', '(required) why they are needed, e.g. "the replica will not catch up: a DBA is needed"')
    .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), 'add-responder', id, opts)));
  for (const action of ['retry', 'skip', 'abort'] as const) {
    step(
      action,
      action === 'abort' ? 'stop the runbook (cancels a running restore and the escalation)' : `${action} the current step`,
    )
      .option('--reason <text>', 'why (required)')
      .action((id, opts) => run(async () => (await import('./commands/dr')).runDrStep(ctx(), action, id, opts)));
  }

  return program;
}

/** The command's words, options and the global option's value left out: `wal fetch`, `dr start`. */
function commandWords(argv: string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') i++;
    else if (!argv[i].startsWith('-')) words.push(argv[i]);
  }
  return words;
}

export async function main(argv: string[]): Promise<number> {
  const code = await runCommandLine(argv);
  // As a restore_command, any failure but "not archived" (a typo in an option too) must stop the
  // recovery: below 126 PostgreSQL takes it for the end of the WAL and promotes without the rest.
  const [first, second] = commandWords(argv);
  if (first === 'wal' && second === 'fetch' && code !== ExitCode.Ok && code !== ExitCode.NoSuchBackup)
    return ExitCode.StopRecovery;
  return code;
}

async function runCommandLine(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const run = async (action: () => Promise<void>) => {
    try {
      await action();
    } catch (err) {
      const { describeFailure } = await import('./failure');
      const failure = describeFailure(err);
      for (const line of failure.lines) process.stderr.write(`pgwarden: ${line}\n`);
      exitCode = failure.exitCode;
    }
  };
  const program = buildProgram(run);
  if (argv.length === 0) {
    program.outputHelp();
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; anything else is bad input.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    throw err;
  }
  return exitCode;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`pgwarden: ${err.message}\n`);
      process.exit(ExitCode.GeneralFailure);
    },
  );
}
