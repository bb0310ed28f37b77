/**
 * Disaster-recovery settings: the escalation matrices (the default one, and named ones an
 * incident can choose) and the smoke checks of the recovery's verification step.
 */
import { EMAIL_ADDRESS } from './email-address';
import { EnvReader } from './env-reader';
import { MATRIX_NAME } from './matrix-name';
import { Secret } from './secret';

/** The strategy's escalation levels (src/operations/dr/escalation.ts says when each is due). */
export type EscalationLevel = 1 | 2 | 3 | 4;

/** Who is told at each level, as configured (ESCALATION_*), frozen into an incident when it opens. */
export interface EscalationMatrix {
  name: string;
  level1: { contacts: string[]; repeatMinutes: number };
  level2: { contacts: string[]; afterMinutes: number };
  level3: { contacts: string[]; afterMinutes: number };
  level4: { contacts: string[] };
  /**
   * Once the manager was told, remind level 1 to post a status update after this many minutes
   * without one; 0: never. Absent in incidents opened before it: never.
   */
  updateReminderMinutes?: number;
  /** Who takes level 1 in turn (src/operations/dr/on-call.ts); absent: level 1's contacts alone. */
  onCall?: OnCallRotation;
  /** In an incident's frozen matrix: who was on call when it opened (first of level 1's contacts). */
  onCallNow?: string;
  /**
   * In an incident's frozen matrix: who is alerted when level 1 has not acknowledged within
   * `afterMinutes` (whoever is on call next: the rotation's backup), when the rotation asks for one.
   */
  onCallBackup?: { who: string; afterMinutes: number };
}

/** People taking shifts of `shiftHours` in turn, the first from `from` (ISO); someone standing in from-until. */
export interface OnCallRotation {
  people: string[];
  from: string;
  shiftHours: number;
  overrides?: Array<{ who: string; from: string; until: string }>;
  /** ESCALATION_ONCALL_REMIND_HOURS: mail whoever comes on call this long before their shift; absent: no reminder. */
  remindHours?: number;
  /** ESCALATION_ONCALL_REMIND_HOURS_FOR: a person's own lead (0: none), over remindHours. */
  remindHoursFor?: Record<string, number>;
  /** ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: alert the backup on call when level 1 has not acknowledged by then; absent: never. */
  backupAfterMinutes?: number;
  /** ESCALATION_ONCALL_BACKUP: the backup rotation, taking the same shifts in turn; absent: whoever is on call next. */
  backupPeople?: string[];
  /** ESCALATION_ONCALL_BACKUP_OVERRIDES and stand-ins as the backup: someone the backup for a while, the first covering a time winning. */
  backupOverrides?: Array<{ who: string; from: string; until: string }>;
}

export interface IncidentSettings {
  matrices: Record<string, EscalationMatrix>;
  /** SQL queries that must each return at least one row on the recovered database. */
  smokeQueries: string[];
  /** Must answer 200 once the service is back; may carry a token, so it is a secret. */
  healthUrl?: Secret;
  /** Drills escalate like real incidents (levels 2-4); by default they alert level 1 only. */
  drillEscalates: boolean;
  /** ESCALATION_ONCALL_HANDOVERS: tell whoever comes on call and goes off at each handover (the roster workflow). */
  handovers: boolean;
  /** Scheduled drills wait for on-call at each human step (default: pgwarden takes them). */
  drillAttended: boolean;
}

function readMatrix(
  r: EnvReader,
  name: string,
  prefix: string,
  fallback: EscalationMatrix | undefined,
  teamDefault: string[],
): EscalationMatrix {
  const contacts = (variable: string, inherited: string[]) => {
    const list = r.list(variable);
    for (const a of list) if (!EMAIL_ADDRESS.test(a)) r.problem(variable, `"${a}" is not an e-mail address`);
    return list.length ? list : inherited;
  };
  const minutes = (variable: string, inherited: number) => r.integer(variable, inherited, { min: 1, max: 100_000 });
  const level1 = {
    contacts: contacts(`${prefix}L1_EMAIL`, fallback?.level1.contacts ?? teamDefault),
    repeatMinutes: minutes(`${prefix}L1_REPEAT_MINUTES`, fallback?.level1.repeatMinutes ?? 15),
  };
  const level2 = {
    contacts: contacts(`${prefix}L2_EMAIL`, fallback?.level2.contacts ?? teamDefault),
    afterMinutes: minutes(`${prefix}L2_AFTER_MINUTES`, fallback?.level2.afterMinutes ?? 60),
  };
  const level3 = {
    contacts: contacts(`${prefix}L3_EMAIL`, fallback?.level3.contacts ?? teamDefault),
    afterMinutes: minutes(`${prefix}L3_AFTER_MINUTES`, fallback?.level3.afterMinutes ?? 240),
  };
  const level4 = { contacts: contacts(`${prefix}L4_EMAIL`, fallback?.level4.contacts ?? teamDefault) };
  if (level3.afterMinutes <= level2.afterMinutes)
    r.problem(`${prefix}L3_AFTER_MINUTES`, `must be later than ${prefix}L2_AFTER_MINUTES (${level2.afterMinutes})`);
  const updateReminderMinutes = r.integer(`${prefix}UPDATE_REMINDER_MINUTES`, fallback?.updateReminderMinutes ?? 30, {
    min: 0,
    max: 100_000,
  });
  const onCall = readRotation(r, prefix) ?? fallback?.onCall;
  // The backup is a step before the manager, not after: the manager would hear of it first.
  if (onCall?.backupAfterMinutes && onCall.backupAfterMinutes >= level2.afterMinutes)
    r.problem(
      `${prefix}ONCALL_BACKUP_AFTER_MINUTES`,
      `must be earlier than ${prefix}L2_AFTER_MINUTES (${level2.afterMinutes}): the backup on call comes before the manager`,
    );
  // With a rotation, the default matrix's level 1 is whoever is on call, with ESCALATION_L1_EMAIL
  // when set, never NOTIFY_EMAIL_TO; a named one inherits the default's, as every setting.
  if (onCall && !fallback && !r.list(`${prefix}L1_EMAIL`).length) level1.contacts = [];
  return { name, level1, level2, level3, level4, updateReminderMinutes, ...(onCall ? { onCall } : {}) };
}

/** ESCALATION_[<NAME>_]ONCALL, _ONCALL_FROM, _ONCALL_SHIFT_HOURS, _ONCALL_REMIND_HOURS, _ONCALL_BACKUP_AFTER_MINUTES, _ONCALL_BACKUP, _ONCALL_BACKUP_OVERRIDES; undefined when not set here. */
function readRotation(r: EnvReader, prefix: string): OnCallRotation | undefined {
  const people = r.list(`${prefix}ONCALL`);
  if (!people.length) {
    // A backup with nobody on call before it would be silently ignored.
    for (const part of ['BACKUP', 'BACKUP_AFTER_MINUTES', 'BACKUP_OVERRIDES'])
      if (r.has(`${prefix}ONCALL_${part}`))
        r.problem(`${prefix}ONCALL_${part}`, `goes with a rotation: set ${prefix}ONCALL too (who is on call in turn)`);
    return undefined;
  }
  for (const a of people) if (!EMAIL_ADDRESS.test(a)) r.problem(`${prefix}ONCALL`, `"${a}" is not an e-mail address`);
  const from = r.string(`${prefix}ONCALL_FROM`);
  if (!from) r.problem(`${prefix}ONCALL_FROM`, `when the first shift of ${prefix}ONCALL begins, e.g. 2026-12-07T09:00:00Z`);
  else if (!isZonedTime(from))
    r.problem(`${prefix}ONCALL_FROM`, `"${from}" is not an ISO time with its zone, like 2026-12-07T09:00:00Z`);
  const shiftHours = r.integer(`${prefix}ONCALL_SHIFT_HOURS`, 168, { min: 1, max: 24 * 366 });
  const overrides = readOverrides(r, `${prefix}ONCALL_OVERRIDES`);
  const remindHours = r.integer(`${prefix}ONCALL_REMIND_HOURS`, 0, { min: 0, max: 24 * 14 });
  const remindHoursFor = readRemindHoursFor(r, `${prefix}ONCALL_REMIND_HOURS_FOR`);
  const backupAfterMinutes = r.integer(`${prefix}ONCALL_BACKUP_AFTER_MINUTES`, 0, { min: 0, max: 100_000 });
  const backupPeople = r.list(`${prefix}ONCALL_BACKUP`);
  for (const a of backupPeople)
    if (!EMAIL_ADDRESS.test(a)) r.problem(`${prefix}ONCALL_BACKUP`, `"${a}" is not an e-mail address`);
  const backupOverrides = readOverrides(r, `${prefix}ONCALL_BACKUP_OVERRIDES`);
  const needsMinutes = (variable: string, what: string) =>
    r.problem(
      variable,
      `${what} needs ${prefix}ONCALL_BACKUP_AFTER_MINUTES: how long after the opening, unacknowledged, the backup is alerted (e.g. 15)`,
    );
  if (backupPeople.length && !backupAfterMinutes) needsMinutes(`${prefix}ONCALL_BACKUP`, 'a backup rotation');
  if (backupOverrides.length && !backupAfterMinutes)
    needsMinutes(`${prefix}ONCALL_BACKUP_OVERRIDES`, 'someone standing in as the backup');
  return {
    people,
    from: from && !Number.isNaN(Date.parse(from)) ? new Date(from).toISOString() : '',
    shiftHours,
    ...(overrides.length ? { overrides } : {}),
    ...(remindHours ? { remindHours } : {}),
    ...(Object.keys(remindHoursFor).length ? { remindHoursFor } : {}),
    ...(backupAfterMinutes ? { backupAfterMinutes } : {}),
    ...(backupPeople.length ? { backupPeople } : {}),
    ...(backupOverrides.length ? { backupOverrides } : {}),
  };
}

/** `<address>=<hours>` entries, comma-separated: each person's own reminder lead (0: none). */
function readRemindHoursFor(r: EnvReader, variable: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of r.list(variable)) {
    const m = /^([^=]+)=(\d+)$/.exec(entry);
    const [who, hours] = m ? [m[1].trim(), Number(m[2])] : [];
    if (!m) r.problem(variable, `"${entry}": expected <address>=<hours>, e.g. alice@example.com=24`);
    else if (!EMAIL_ADDRESS.test(who!)) r.problem(variable, `"${entry}": "${who}" is not an e-mail address`);
    else if (hours! > 24 * 14) r.problem(variable, `"${entry}": at most ${24 * 14} hours (two weeks)`);
    else out[who!] = hours!;
  }
  return out;
}

/** An ISO time with its zone (2026-12-07T09:00:00Z, ...+01:00): a shift's start and an override's ends. */
function isZonedTime(text: string): boolean {
  return /^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:?\d\d)$/.test(text) && !Number.isNaN(Date.parse(text));
}

/** `<from>/<until>=<address>` entries, comma-separated: someone standing in (a holiday, a swap). */
function readOverrides(r: EnvReader, variable: string): NonNullable<OnCallRotation['overrides']> {
  const out: NonNullable<OnCallRotation['overrides']> = [];
  for (const entry of r.list(variable)) {
    const m = /^([^/=]+)\/([^/=]+)=(.+)$/.exec(entry);
    const [from, until, who] = m ? [m[1].trim(), m[2].trim(), m[3].trim()] : [];
    if (!m || !isZonedTime(from!) || !isZonedTime(until!))
      r.problem(
        variable,
        `"${entry}": expected <from>/<until>=<address> with ISO times, e.g. 2026-12-24T09:00:00Z/2026-12-27T09:00:00Z=bob@example.com`,
      );
    else if (!EMAIL_ADDRESS.test(who!)) r.problem(variable, `"${entry}": "${who}" is not an e-mail address`);
    else if (Date.parse(until!) <= Date.parse(from!)) r.problem(variable, `"${entry}": ends before it begins`);
    else out.push({ who: who!, from: new Date(from!).toISOString(), until: new Date(until!).toISOString() });
  }
  return out;
}

/** The prefix of a matrix's variables: `ESCALATION_` for the default one, `ESCALATION_<NAME>_` for a named one. */
export const matrixVariablePrefix = (name: string): string =>
  name === 'default' ? 'ESCALATION_' : `ESCALATION_${name.toUpperCase()}_`;

export function readIncident(r: EnvReader, teamDefault: string[]): IncidentSettings {
  const matrices: Record<string, EscalationMatrix> = {};
  matrices.default = readMatrix(r, 'default', matrixVariablePrefix('default'), undefined, teamDefault);
  for (const name of r.list('ESCALATION_MATRICES')) {
    if (!MATRIX_NAME.test(name)) {
      r.problem('ESCALATION_MATRICES', `"${name}" is not a matrix name (lower-case letters and digits)`);
      continue;
    }
    matrices[name] = readMatrix(r, name, matrixVariablePrefix(name), matrices.default, teamDefault);
  }
  const smokeQueries = (r.string('DR_SMOKE_QUERIES') ?? '')
    .split(';')
    .map((q) => q.trim())
    .filter(Boolean);
  const healthUrl = r.secret('DR_HEALTH_URL');
  if (healthUrl && !/^https?:\/\/\S+$/.test(healthUrl.reveal()))
    r.problem('DR_HEALTH_URL', 'expected an http:// or https:// URL (value not shown)');
  return {
    matrices,
    smokeQueries,
    healthUrl,
    drillEscalates: r.boolean('DR_DRILL_ESCALATE', false),
    drillAttended: r.boolean('DR_DRILL_ATTENDED', false),
    handovers: r.boolean('ESCALATION_ONCALL_HANDOVERS', true),
  };
}
