/**
 * Disaster-recovery settings: the escalation matrices (the default one, and named ones an
 * incident can choose) and the smoke checks of the recovery's verification step.
 */
import { EnvReader } from './env-reader';
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
}

export interface IncidentSettings {
  matrices: Record<string, EscalationMatrix>;
  /** SQL queries that must each return at least one row on the recovered database. */
  smokeQueries: string[];
  /** Must answer 200 once the service is back; may carry a token, so it is a secret. */
  healthUrl?: Secret;
  /** Drills escalate like real incidents (levels 2-4); by default they alert level 1 only. */
  drillEscalates: boolean;
  /** Scheduled drills wait for on-call at each human step (default: pgwarden takes them). */
  drillAttended: boolean;
}

const EMAIL = /^[^\s@,]+@[^\s@,]+$/;

function readMatrix(
  r: EnvReader,
  name: string,
  prefix: string,
  fallback: EscalationMatrix | undefined,
  teamDefault: string[],
): EscalationMatrix {
  const contacts = (variable: string, inherited: string[]) => {
    const list = r.list(variable);
    for (const a of list) if (!EMAIL.test(a)) r.problem(variable, `"${a}" is not an e-mail address`);
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
  return { name, level1, level2, level3, level4, updateReminderMinutes };
}

export function readIncident(r: EnvReader, teamDefault: string[]): IncidentSettings {
  const matrices: Record<string, EscalationMatrix> = {};
  matrices.default = readMatrix(r, 'default', 'ESCALATION_', undefined, teamDefault);
  for (const name of r.list('ESCALATION_MATRICES')) {
    if (!/^[a-z][a-z0-9]*$/.test(name)) {
      r.problem('ESCALATION_MATRICES', `"${name}" is not a matrix name (lower-case letters and digits)`);
      continue;
    }
    matrices[name] = readMatrix(r, name, `ESCALATION_${name.toUpperCase()}_`, matrices.default, teamDefault);
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
  };
}
