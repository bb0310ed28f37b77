/**
 * `pgwarden dr oncall`: who an incident opened now would alert first, and the shifts after: the
 * configured rotation with the stand-ins set at run time. `--stand-in WHO --until T` puts
 * someone on call in the rotation's place (a swap, a sick day) without a redeploy (`--backup`:
 * as the backup on call);
 * `--remove-stand-in ID` takes one back; `--handover-note TEXT` leaves a note for whoever comes on
 * call next; `--review` sums up the shift so far as its handover will; `--ics` prints the shifts
 * as a calendar file. Without
 * Temporal the rotation as configured is shown, and said to be that.
 */
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import type { EscalationMatrix } from '../../../infra/config/incident';
import { UsageError } from '../../../infra/errors/errors';
import { contactWords } from '../../../operations/dr/escalation';
import {
  matrixAt,
  NO_BACKUP_WHY,
  shiftsWithBackup,
  shiftView,
  stretchWords,
  type ShiftWithBackup,
} from '../../../operations/dr/on-call';
import { reviewFacts, type ShiftReview } from '../../../operations/dr/shift-review';
import { shiftSoFar } from '../../../operations/dr/shift-runs';
import {
  handoverNoteText,
  MAX_NOTE_CHARS,
  standInTime,
  withStandIns,
  type HandoverNote,
  type HandoverNoteChange,
  type HandoverNoteRequest,
  type StandIn,
  type StandInRequest,
} from '../../../operations/dr/stand-ins';
import {
  leaveHandoverNote,
  noteRefusedBeforehand,
  readRoster,
  removeStandIn,
  setStandIn,
  standInRefusedBeforehand,
} from '../../../operations/dr/roster';
import { cliTime } from '../columns';
import { shiftCalendar } from '../../../operations/dr/shift-calendar';
import { requireWorker } from '../no-worker';
import { CommandContext } from '../context';
import { operatorIdentity } from '../operator';

export interface OncallOptions {
  matrix?: string;
  next?: string;
  json?: boolean;
  standIn?: string;
  /** With --stand-in: as the backup on call, not on call. */
  backup?: boolean;
  from?: string;
  until?: string;
  removeStandIn?: string;
  /** Print the shifts as an iCalendar file instead. */
  ics?: boolean;
  /** With --ics: this person's shifts alone. */
  who?: string;
  /** A note for whoever comes on call next. */
  handoverNote?: string;
  clearHandoverNote?: boolean;
  /** Who leaves the note (default: the login name). */
  as?: string;
  /** The shift so far in review, as its handover will tell it. */
  review?: boolean;
}

export async function runDrOncall(ctx: CommandContext, o: OncallOptions): Promise<void> {
  const config = ctx.config();
  const matrices = config.incident.matrices;
  const name = o.matrix?.trim() || 'default';
  const matrix = matrices[name];
  if (!matrix)
    throw new UsageError(
      `--matrix ${name}: not configured (known: ${Object.keys(matrices).join(', ')}); see ESCALATION_MATRICES`,
    );
  const count = o.next === undefined ? (o.ics ? 26 : 4) : Number(o.next);
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new UsageError(`--next ${o.next}: a number of shifts from 1 to 100`);
  if (o.ics && (o.standIn !== undefined || o.removeStandIn !== undefined || o.json))
    throw new UsageError('--ics prints the shifts as a calendar: without --stand-in, --remove-stand-in or --json');
  if (o.who !== undefined && !o.ics) throw new UsageError('--who goes with --ics: whose shifts the calendar keeps');
  if (o.review && (o.ics || o.standIn !== undefined || o.removeStandIn !== undefined))
    throw new UsageError('--review sums up the shift so far: without --stand-in, --remove-stand-in or --ics');
  if (o.review && !matrix.onCall)
    throw new UsageError(`matrix "${name}" has no on-call rotation (ESCALATION_ONCALL): no shift to review`);
  if (o.ics && !matrix.onCall)
    throw new UsageError(`matrix "${name}" has no on-call rotation (ESCALATION_ONCALL): no shifts to put in a calendar`);
  const request = standInRequest(o, matrix);
  const note = noteRequest(o, matrix, config.incident.handovers);
  // A removal names its stand-in by id, whatever --matrix says.
  const roster =
    matrix.onCall || o.removeStandIn !== undefined
      ? await rosterAfter(ctx, config.temporal.taskQueue, o, request, note, matrix)
      : undefined;
  if (!matrix.onCall) {
    const level1 = contactWords(1, matrix);
    const changed = roster?.changed;
    if (o.json)
      return void process.stdout.write(
        `${JSON.stringify({ matrix: name, shifts: [], level1: matrix.level1.contacts, ...(changed ? { changed } : {}) })}\n`,
      );
    process.stdout.write(
      `${changed ? `${changed.line}\n` : ''}matrix "${name}" has no on-call rotation (ESCALATION_ONCALL); an incident opened now alerts level 1: ${level1}\n`,
    );
    return;
  }

  const { standIns, changed, unread } = roster!;
  const handoverNote = roster!.notes.find((n) => n.matrix === name) ?? null;
  const now = new Date();
  const mine = standIns.filter((s) => s.matrix === name);
  const current = withStandIns(matrix, mine);
  const shifts = shiftsWithBackup(current, now, count);
  if (o.ics) {
    const who = o.who?.trim();
    process.stdout.write(shiftCalendar(shifts, { matrix: name, now, ...(who ? { who } : {}) }));
    if (unread) process.stderr.write(`pgwarden: the rotation as configured: ${unread}\n`);
    return;
  }
  const frozen = matrixAt(current, now);
  const level1 = frozen.level1.contacts;
  const backup = frozen.onCallBackup ?? null;
  const review = roster!.review ?? null;
  if (o.json) {
    const out = shifts.map(shiftView);
    return void process.stdout.write(
      `${JSON.stringify({ matrix: name, shifts: out, level1, backup, standIns: mine, handoverNote, ...(review ? { review } : {}), ...(changed ? { changed } : {}), ...(unread ? { unread } : {}) })}\n`,
    );
  }
  // A shift without the backup the rotation asks for: its turn falls on someone level 1 alerts already.
  const noBackup = current.onCall!.backupAfterMinutes ? `no backup: ${NO_BACKUP_WHY}` : null;
  const stretches = (s: ShiftWithBackup) => stretchWords(s.backups!, (d) => cliTime(d.toISOString()));
  const backupWords = (s: ShiftWithBackup) =>
    s.backups ? ` (backup ${stretches(s)})` : s.backup ? ` (backup ${s.backup})` : noBackup ? ` (${noBackup})` : '';
  const lines: string[] = [];
  if (changed) lines.push(changed.line);
  const [first, ...next] = shifts;
  lines.push(
    `on call now (matrix "${name}"): ${first.who} until ${cliTime(first.until.toISOString())}; an incident opened now alerts level 1: ${contactWords(1, frozen)}` +
      (backup
        ? `, and the backup ${backup.who} if nobody acknowledges within ${backup.afterMinutes} min`
        : noBackup
          ? `; ${noBackup}`
          : '') +
      (first.backups ? `; the backup on call: ${stretches(first)}` : ''),
    ...next.map((s) => `then ${s.who}: ${cliTime(s.from.toISOString())} to ${cliTime(s.until.toISOString())}${backupWords(s)}`),
  );
  if (mine.length) lines.push('stand-ins set at run time:', ...mine.map((s) => `  ${standInLine(s)}`));
  if (handoverNote)
    lines.push(`note for whoever comes on call next (${next[0]?.who ?? 'the next shift'}): ${noteLine(handoverNote)}`);
  if (review)
    lines.push(
      `the shift so far (${first.who}):`,
      ...reviewFacts(review, 'So far').map(([label, value]) => `  ${label}: ${value}`),
    );
  process.stdout.write(`${lines.join('\n')}\n`);
  if (unread) process.stderr.write(`pgwarden: the rotation as configured: ${unread}\n`);
  if (o.review && !review) process.stderr.write('pgwarden: the shift so far is not reviewed: Temporal could not be read\n');
  if (roster!.neverStarted && config.incident.handovers)
    process.stderr.write(
      'pgwarden: handovers are not told: the on-call roster has not been started; start it with pgwarden schedules apply\n',
    );
}

/** What a stand-in stands in as. */
const roleWords = (s: Pick<StandIn, 'backup'>) => (s.backup ? 'the backup on call' : 'on call');

/** `s1  carol@x.io  2026-12-14 18:00:00Z to 2026-12-15 08:00:00Z  (set by ..., at ...)`; `as the backup` after the address for one. */
export const standInLine = (s: StandIn) =>
  `${s.id}  ${s.who}${s.backup ? ' (as the backup)' : ''}  ${cliTime(s.from)} to ${cliTime(s.until)}  (set by ${s.setBy}, ${cliTime(s.setAt)})`;

/** `"text" (left by alice, 2026-12-07 18:02:11Z)` */
export const noteLine = (n: HandoverNote) => `"${n.text}" (left by ${n.by}, ${cliTime(n.at)})`;

/** The handover note to leave or take back, checked before anything is sent; undefined when none is. */
function noteRequest(
  o: OncallOptions,
  matrix: EscalationMatrix,
  handovers: boolean,
): Omit<HandoverNoteRequest, 'by'> | undefined {
  if (o.handoverNote === undefined && !o.clearHandoverNote) {
    if (o.as !== undefined) throw new UsageError('--as goes with --handover-note: who leaves it');
    return undefined;
  }
  if (o.handoverNote !== undefined && o.clearHandoverNote)
    throw new UsageError('--handover-note and --clear-handover-note: one at a time');
  if (o.standIn !== undefined || o.removeStandIn !== undefined || o.ics)
    throw new UsageError('a handover note goes alone: without --stand-in, --remove-stand-in or --ics');
  const refused = noteRefusedBeforehand(matrix.name, matrix, handovers);
  if (refused) throw new UsageError(refused);
  // Measured as the roster keeps it (one line), so the CLI never refuses a note the roster would take.
  const text = o.clearHandoverNote ? '' : handoverNoteText(o.handoverNote!);
  if (!o.clearHandoverNote && !text)
    throw new UsageError('--handover-note needs its text (--clear-handover-note takes a note back)');
  if (text.length > MAX_NOTE_CHARS)
    throw new UsageError(`--handover-note: at most ${MAX_NOTE_CHARS} characters (this one has ${text.length})`);
  return { matrix: matrix.name, text };
}

/** The stand-in asked for, checked before anything is sent; undefined when none is. */
function standInRequest(o: OncallOptions, matrix: EscalationMatrix): Omit<StandInRequest, 'setBy'> | undefined {
  if (o.standIn === undefined) {
    if (o.until !== undefined || o.from !== undefined || o.backup)
      throw new UsageError('--from, --until and --backup go with --stand-in <address>');
    return undefined;
  }
  if (o.removeStandIn !== undefined) throw new UsageError('--stand-in and --remove-stand-in: one at a time');
  const refused = standInRefusedBeforehand(matrix.name, matrix, !!o.backup);
  if (refused) throw new UsageError(refused);
  if (o.until === undefined)
    throw new UsageError('--until is required: when the stand-in ends, e.g. --until 8h or --until 2026-12-08T08:00:00Z');
  const now = new Date();
  const from = o.from === undefined ? now : standInTime(o.from, now);
  if (!from)
    throw new UsageError(`--from ${o.from}: an ISO time with its zone (2026-12-07T18:00:00Z), now, or from now (30m, 8h, 2d)`);
  const until = standInTime(o.until, from);
  if (!until)
    throw new UsageError(`--until ${o.until}: an ISO time with its zone (2026-12-08T08:00:00Z), or from --from (30m, 8h, 2d)`);
  return {
    matrix: matrix.name,
    who: o.standIn.trim(),
    from: from.toISOString(),
    until: until.toISOString(),
    ...(o.backup ? { backup: true as const } : {}),
  };
}

interface RosterView {
  standIns: StandIn[];
  /** The handover notes not yet told. */
  notes: HandoverNote[];
  /** No roster has run yet: no handover is told. */
  neverStarted?: true;
  changed?: { standIn?: StandIn; handoverNote?: HandoverNoteChange; line: string };
  unread?: string;
  /** With --review: the shift so far; null when its runs could not be listed. */
  review?: ShiftReview | null;
}

/** The roster after the change asked for, if any; Temporal out of reach only matters when a change is asked. */
async function rosterAfter(
  ctx: CommandContext,
  taskQueue: string,
  o: OncallOptions,
  request: Omit<StandInRequest, 'setBy'> | undefined,
  note: Omit<HandoverNoteRequest, 'by'> | undefined,
  matrix: EscalationMatrix,
): Promise<RosterView> {
  const changing = request !== undefined || o.removeStandIn !== undefined || note !== undefined;
  // Who leaves a note is asked before Temporal is: a refusal is the same line either way.
  const by = note ? operatorIdentity(o.as, ctx.env, userInfo().username) : undefined;
  const view = async (client: Client): Promise<RosterView> => {
    let changed: RosterView['changed'];
    if (changing) {
      await requireWorker(client, taskQueue, `the ${note ? 'handover note' : 'stand-in'} cannot be recorded until one runs`);
      try {
        if (note) {
          const handoverNote = await leaveHandoverNote(client, taskQueue, { ...note, by: by! });
          changed = { handoverNote, line: noteChangeLine(handoverNote) };
        } else if (request) {
          const standIn = await setStandIn(client, taskQueue, { ...request, setBy: client.options.identity ?? 'pgwarden' });
          changed = {
            standIn,
            line: `stand-in ${standIn.id} set: ${standIn.who} ${roleWords(standIn)} from ${cliTime(standIn.from)} until ${cliTime(standIn.until)}`,
          };
        } else {
          const standIn = await removeStandIn(client, taskQueue, o.removeStandIn!.trim());
          changed = {
            standIn,
            line: `stand-in ${standIn.id} removed: ${standIn.who} is no longer ${roleWords(standIn)} from ${cliTime(standIn.from)} until ${cliTime(standIn.until)}`,
          };
        }
      } catch (err) {
        if (err instanceof UsageError) throw new UsageError(`${note ? 'handover note' : 'stand-in'} refused: ${err.message}`);
        throw err;
      }
    }
    const read = await readRoster(client, taskQueue);
    return {
      standIns: read.standIns,
      notes: read.notes,
      ...(o.review
        ? { review: await shiftSoFar(client, taskQueue, withStandIns(matrix, read.standIns).onCall!, new Date()) }
        : {}),
      ...(changed ? { changed } : {}),
      ...(read.unread ? { unread: read.unread } : {}),
      ...(read.neverStarted ? { neverStarted: true as const } : {}),
    };
  };
  if (changing) return ctx.withTemporalClient(view);
  try {
    // Temporal is optional here: a server that does not answer soon is not waited for.
    return await ctx.withTemporalClient(view, { connectTimeout: '3s' });
  } catch (err) {
    // Checking the rotation before a holiday needs no Temporal: the configured one, said to be that.
    return {
      standIns: [],
      notes: [],
      unread: `the stand-ins set at run time are unknown: ${(err as Error).message.split('\n')[0]}`,
    };
  }
}

/** What leaving or taking back a note did, in one line. */
function noteChangeLine({ note, replaced }: HandoverNoteChange): string {
  if (!note) return `handover note taken back: ${noteLine(replaced!)}`;
  const instead = replaced ? `; it replaces ${noteLine(replaced)}` : '';
  return `handover note left for whoever comes on call next in matrix "${note.matrix}": "${note.text}"${instead}`;
}
