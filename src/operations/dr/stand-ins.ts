/**
 * Stand-ins set while pgwarden runs (`pgwarden dr oncall --stand-in`): someone on call in a
 * rotation's place for a while (a swap, a sick day), kept by the on-call roster workflow
 * (workflows/on-call-roster.ts) rather than in the configuration, so that a swap at 2 a.m.
 * needs no redeploy. They join the configured overrides (ESCALATION_ONCALL_OVERRIDES) and win
 * where both cover a time, the newest first: the last word said is the one that holds.
 * Pure and workflow-safe.
 */
import type { EscalationMatrix } from '../../infra/config/incident';
import { EMAIL_ADDRESS } from '../../infra/config/email-address';
import { MATRIX_NAME } from '../../infra/config/matrix-name';
import { handoversDue, type HandoverCheck, type HandoverNote, type RotationOf, type ToldShifts } from './handovers';

export type { HandoverNote };

export interface StandIn {
  /** `s1`, `s2`, ...: what `--remove-stand-in` names. */
  id: string;
  matrix: string;
  who: string;
  from: string;
  until: string;
  /** The identity of the client that set it (`pgwarden <account>@<host> pid N`). */
  setBy: string;
  setAt: string;
  /** Standing in as the backup on call (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES), not on call. */
  backup?: true;
}

export type StandInRequest = Pick<StandIn, 'matrix' | 'who' | 'from' | 'until' | 'setBy' | 'backup'>;

/** `text` empty: take the matrix's note back. */
export type HandoverNoteRequest = Pick<HandoverNote, 'matrix' | 'text' | 'by'>;

/** What leaving (or taking back) a note did: the note now, and the one it replaced. */
export interface HandoverNoteChange {
  note: HandoverNote | null;
  replaced: HandoverNote | null;
}

/** A few lines' worth: it is read in a mail's facts and a Slack message. */
export const MAX_NOTE_CHARS = 1000;

/** What the roster carries across continue-as-new. */
export interface RosterState {
  standIns?: StandIn[];
  nextId?: number;
  /** Whom it last told to be on call, per matrix (handovers.ts); absent in rosters from before handovers. */
  told?: ToldShifts;
  /** The handover notes not yet told. */
  notes?: HandoverNote[];
}

/** Enough for every swap of a year; bounds the state a roster carries. */
export const MAX_STAND_INS = 200;

const ZONED = /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)$/;

/** The stand-ins of one deployment, as its roster workflow keeps them. */
export class OnCallRoster {
  private standIns: StandIn[];
  private nextId: number;
  private told: ToldShifts;
  private notes: HandoverNote[];
  /** Additions and removals in this run, for when to continue as new. */
  changes = 0;

  constructor(state: RosterState = {}) {
    this.standIns = [...(state.standIns ?? [])];
    this.nextId = state.nextId ?? 1;
    this.told = { ...(state.told ?? {}) };
    this.notes = [...(state.notes ?? [])];
  }

  /** Why `req` cannot be taken (one line), or null. */
  refusal(req: StandInRequest, now: Date): string | null {
    if (!MATRIX_NAME.test(req.matrix ?? '')) return `"${req.matrix}" is not a matrix name`;
    if (!EMAIL_ADDRESS.test(req.who ?? '')) return `"${req.who}" is not an e-mail address`;
    for (const [name, at] of [
      ['from', req.from],
      ['until', req.until],
    ])
      if (!ZONED.test(at ?? '') || Number.isNaN(Date.parse(at)))
        return `${name} "${at}" is not an ISO time with its zone, like 2026-12-07T09:00:00Z`;
    if (req.backup !== undefined && req.backup !== true) return 'backup is true or absent';
    if (Date.parse(req.until) <= Date.parse(req.from)) return `it ends (${req.until}) before it begins (${req.from})`;
    if (Date.parse(req.until) <= now.getTime()) return `it has ended already (${req.until})`;
    if (this.current(now).length >= MAX_STAND_INS)
      return `${MAX_STAND_INS} stand-ins are set already: remove some first (pgwarden dr oncall --remove-stand-in <id>)`;
    return null;
  }

  add(req: StandInRequest, now: Date): StandIn {
    const refused = this.refusal(req, now);
    if (refused) throw new Error(refused);
    const standIn: StandIn = {
      id: `s${this.nextId++}`,
      matrix: req.matrix,
      who: req.who,
      from: new Date(req.from).toISOString(),
      until: new Date(req.until).toISOString(),
      setBy: req.setBy,
      setAt: now.toISOString(),
      ...(req.backup ? { backup: true as const } : {}),
    };
    this.standIns.push(standIn);
    this.changes++;
    return standIn;
  }

  /** Why `id` cannot be removed, or null. */
  removal(id: string, now: Date): string | null {
    return this.current(now).some((s) => s.id === id)
      ? null
      : `no stand-in ${id} is set (pgwarden dr oncall lists them; an ended one is gone by itself)`;
  }

  remove(id: string, now: Date): StandIn {
    const refused = this.removal(id, now);
    if (refused) throw new Error(refused);
    const gone = this.standIns.find((s) => s.id === id)!;
    this.standIns = this.standIns.filter((s) => s.id !== id);
    this.changes++;
    return gone;
  }

  /** Why `req` cannot be taken (one line), or null. */
  noteRefusal(req: HandoverNoteRequest): string | null {
    if (!MATRIX_NAME.test(req.matrix ?? '')) return `"${req.matrix}" is not a matrix name`;
    if (typeof req.text !== 'string') return 'a handover note needs its text';
    const text = oneLine(req.text);
    if (text.length > MAX_NOTE_CHARS)
      return `a handover note is at most ${MAX_NOTE_CHARS} characters (this one has ${text.length})`;
    if (!text && !this.noteFor(req.matrix)) return `no handover note is left in matrix "${req.matrix}"`;
    if (!req.by?.trim()) return 'a handover note says who left it';
    return null;
  }

  /** Leaves the matrix's note (replacing the one left before), or takes it back (`text` empty). */
  leaveNote(req: HandoverNoteRequest, now: Date): HandoverNoteChange {
    const refused = this.noteRefusal(req);
    if (refused) throw new Error(refused);
    const replaced = this.noteFor(req.matrix) ?? null;
    const text = oneLine(req.text);
    const note = text ? { matrix: req.matrix, text, by: req.by.trim(), at: now.toISOString() } : null;
    this.notes = [...this.notes.filter((n) => n.matrix !== req.matrix), ...(note ? [note] : [])];
    this.changes++;
    return { note, replaced };
  }

  /** The matrix's note not yet told. */
  noteFor(matrix: string): HandoverNote | undefined {
    return this.notes.find((n) => n.matrix === matrix);
  }

  /** The notes not yet told, in the order they were left. */
  notesLeft(): HandoverNote[] {
    return [...this.notes];
  }

  /** `note` was told: gone, unless a newer one replaced it meanwhile (that one waits for the next notice). */
  noteTold(note: HandoverNote): void {
    this.notes = this.notes.filter((n) => !(n.matrix === note.matrix && n.at === note.at && n.text === note.text));
  }

  /** The stand-ins not ended at `now`, in the order they were set. */
  current(now: Date): StandIn[] {
    return this.standIns.filter((s) => Date.parse(s.until) > now.getTime());
  }

  /**
   * The handovers due at `now` in the configured rotations, this roster's stand-ins included,
   * remembered as told. `quiet`: matrices whose stand-in change, told already, said who is on call.
   */
  handovers(
    rotations: RotationOf[],
    now: Date,
    quiet?: ReadonlySet<string>,
    o: { backupReminders?: boolean } = {},
  ): HandoverCheck {
    const standIns = this.current(now);
    const check = handoversDue(
      rotations.map((m) => withStandIns(m, standIns)),
      this.told,
      now,
      quiet,
      o,
    );
    this.told = check.told;
    // Each handover carries its matrix's note; the workflow forgets it once told (noteTold).
    const handovers = check.handovers.map((h) => {
      const note = this.noteFor(h.matrix);
      return note ? { ...h, note } : h;
    });
    return { ...check, handovers };
  }

  /** What the next run carries: the ended ones left out. */
  snapshot(now: Date): RosterState {
    return {
      standIns: this.current(now),
      nextId: this.nextId,
      told: this.told,
      ...(this.notes.length ? { notes: this.notes } : {}),
    };
  }
}

/**
 * The matrix with its stand-ins as overrides of its rotation, ahead of the configured ones and
 * the newest first (shiftAt takes the first override covering a time); those standing in as the
 * backup as the backup's overrides. A matrix without a rotation has nobody to stand in for, and
 * is returned as is. Pure.
 */
export function withStandIns<M extends Pick<EscalationMatrix, 'name' | 'onCall'>>(matrix: M, standIns: StandIn[]): M {
  const mine = standIns.filter((s) => s.matrix === matrix.name);
  if (!matrix.onCall || !mine.length) return matrix;
  const newestFirst = (backup: boolean) =>
    mine
      .filter((s) => !!s.backup === backup)
      .reverse()
      .map((s) => ({ who: s.who, from: s.from, until: s.until }));
  const backups = newestFirst(true);
  return {
    ...matrix,
    onCall: {
      ...matrix.onCall,
      overrides: [...newestFirst(false), ...(matrix.onCall.overrides ?? [])],
      ...(backups.length ? { backupOverrides: [...backups, ...(matrix.onCall.backupOverrides ?? [])] } : {}),
    },
  };
}

/** A note as it is kept and told: one line, its runs of spaces and line breaks made one space. */
export const handoverNoteText = (text: string) => text.replace(/\s+/g, ' ').trim();
const oneLine = handoverNoteText;

/**
 * A stand-in's start or end as typed: an ISO time with its zone, `now`, or a time from `base`
 * (`8h`, `90m`, `2d`: until tomorrow's handover without counting hours in UTC). Null when it
 * is none of these. Pure.
 */
export function standInTime(text: string, base: Date): Date | null {
  const t = text.trim();
  if (t === 'now') return base;
  const rel = /^\+?(\d+)(m|h|d)$/.exec(t);
  if (rel)
    return new Date(base.getTime() + Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd']);
  return ZONED.test(t) && !Number.isNaN(Date.parse(t)) ? new Date(t) : null;
}
