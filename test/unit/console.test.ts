/**
 * The incident console over real HTTP with the Temporal side faked (the workflow test drives it
 * against a real incident): who may act, CSRF, escaping, inline refusals, acknowledgement links.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { csrfToken, hashPassword, readSession, signSession, verifyPassword } from '../../src/app/console/auth';
import { actionToken } from '../../src/infra/crypto/action-links';
import { actionInput, ActionRefused, Board, ConsoleBackend, temporalBackend } from '../../src/app/console/backend';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfig } from '../../src/infra/config/config';
import { NoWorkerError } from '../../src/infra/errors/errors';
import { createConsoleServer, type ConsoleOptions } from '../../src/app/console/server';
import { parseOperators, type ConsoleSettings } from '../../src/infra/config/console';
import { openingState } from '../../src/operations/dr/incident-machine';
import type { IncidentState } from '../../src/operations/dr/incident';
import type { OnCallNow } from '../../src/operations/dr/on-call';
import { OnCallRoster, type HandoverNote, type StandIn } from '../../src/operations/dr/stand-ins';
import type { ShiftReview } from '../../src/operations/dr/shift-review';
import { Secret } from '../../src/infra/config/secret';
import type { RecoveryOptions } from '../../workflows/list-backups';
import {
  acknowledgedMessage,
  responseUrlAllowed,
  SLACK_ACK_ACTION,
  SLACK_ESCALATE_ACTION,
  SLACK_ESCALATE_VIEW,
  SLACK_OPEN_VIEW,
  SLACK_RESPONDER_ACTION,
  SLACK_RESPONDER_VIEW,
  SLACK_UPDATE_ACTION,
  SLACK_UPDATE_VIEW,
  slackInteraction,
  slackRequestProblem,
  slackSignature,
} from '../../src/infra/notify/slack-interaction';
import {
  escalateForm,
  formModal,
  formProblem,
  openIncidentForm,
  responderForm,
  type SlackForm,
  updateForm,
} from '../../src/app/console/slack-forms';
import { renderSlack } from '../../src/infra/notify/notice';
import { postAsSlack, slackClickBody, slackEscalateSubmitBody, slackSubmitBody } from '../support/slack-click';

const SECRET = 'a-console-secret-of-at-least-32-characters';
const now = new Date('2026-11-30T10:30:00Z');

/** Slack's form body for bob's click on Acknowledge of dr-shop-1, with more of the payload. */
const clickBody = (more: Record<string, unknown> = {}) => slackClickBody('dr-shop-1', 'bob', more);

/** A level 1 Slack notice with its Acknowledge and Escalate buttons, as pgwarden sends it through the bot. */
const level1Notice = () =>
  renderSlack({
    event: 'incident.level1',
    severity: 'critical',
    title: 'shop down',
    facts: [['Incident', 'dr-shop-1']],
    buttons: [
      { text: 'Acknowledge', actionId: SLACK_ACK_ACTION, value: 'dr-shop-1', style: 'primary' },
      { text: 'Escalate…', actionId: SLACK_ESCALATE_ACTION, value: 'dr-shop-1' },
    ],
  });

/** Until `ok()` holds, for what the console sends after its reply (2 s at most). */
async function waitUntil(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
}

/** A Slack form as the console opens it for an incident, the fake backend's databases configured. */
const modalOf = (form: SlackForm, state: IncidentState) => formModal(form, { state, databases: ['shop'] });

/** An incident's frozen escalation matrix. */
const matrix = {
  name: 'default',
  level1: { contacts: ['devops@x.io'], repeatMinutes: 15 },
  level2: { contacts: ['manager@x.io'], afterMinutes: 60 },
  level3: { contacts: ['exec@x.io'], afterMinutes: 240 },
  level4: { contacts: ['support@x.io'] },
};

/** The actions a page offers, in order: its forms' data-action. */
const formsOn = (page: string) => [...page.matchAll(/data-action="(\w+)"/g)].map((m) => m[1]);

function incident(over: Partial<IncidentState> = {}): IncidentState {
  const s = openingState(
    'dr-shop-1',
    { summary: 'orders <script>alert(1)</script> lost', database: 'shop' },
    new Date('2026-11-30T10:00:00Z'),
  );
  return { ...s, step: 'assess', stepStatus: 'waiting', waitingFor: 'the assessment', ...over };
}

const options: RecoveryOptions = {
  backups: [
    {
      backupId: 'backup_20261130_020000',
      database: 'shop',
      takenAt: '2026-11-30T02:00:03Z',
      format: 'custom',
      compression: 'zstd',
      storedBytes: 5 * 1024 * 1024,
      rows: 1200,
      tables: 4,
      reason: 'scheduled',
      encryption: { algorithm: 'AES-256-GCM', keyId: 'k1' },
      dataKey: 'x',
      manifestKey: 'y',
      storageClass: 'STANDARD',
      verification: { status: 'passed', at: '2026-11-30T03:00:00Z', failures: [] },
    },
  ],
  window: { from: '2026-11-23T01:00:00Z', to: '2026-11-30T10:29:58Z' },
  baseBackups: [
    {
      backupId: 'base_20261130_010000',
      startedAt: '2026-11-30T01:00:00Z',
      finishedAt: '2026-11-30T01:02:10Z',
      timeline: 1,
      startLsn: '3/2000028',
      stopLsn: '3/2000100',
      storedBytes: 40 * 1024 * 1024,
      incrementalOn: 'base_20261123_010000',
      compression: 'zstd',
      serverVersion: '15.18',
      reason: 'scheduled',
      reachesLsn: '3/5B000000',
      firstMissing: null,
      verification: { status: 'failed', verifiedAt: '2026-11-30T03:10:00Z', failures: ['pg_verifybackup: <bad> checksum'] },
    },
    {
      backupId: 'base_20261123_010000',
      startedAt: '2026-11-23T01:00:00Z',
      finishedAt: '2026-11-23T01:02:00Z',
      timeline: 1,
      startLsn: '2/2000028',
      stopLsn: '2/2000100',
      storedBytes: 38 * 1024 * 1024,
      compression: 'zstd',
      serverVersion: '15.18',
      reason: 'scheduled',
      reachesLsn: '3/5B000000',
      firstMissing: null,
      verification: { status: 'passed', verifiedAt: '2026-11-23T03:10:00Z', failures: [] },
    },
  ],
  restorePoints: [
    { name: 'before-migration-42', lsn: '3/5A0F10C8', createdAt: '2026-11-30T09:15:00Z', fromBaseBackup: 'base_20261130_020000' },
    {
      name: '<old>',
      lsn: '0/5000000',
      createdAt: '2026-11-01T09:15:00Z',
      fromBaseBackup: null,
      unreachable: 'before the oldest base backup',
    },
  ],
};

function fakeBackend(initial: IncidentState, unanswered: Board['unanswered'] = []) {
  const acts: Array<{ id: string; action: string; input: Record<string, unknown> }> = [];
  let state = initial;
  let onCall: OnCallNow[] = [];
  const standIns: StandIn[] = [];
  // Handover notes kept by the roster's own rules.
  const notes = new OnCallRoster();
  const backend: ConsoleBackend & {
    set(s: IncidentState): void;
    setOnCall(c: OnCallNow[]): void;
    standIns: StandIn[];
    notes: OnCallRoster;
    /** What the roster gives as the shift so far when asked. */
    review: ShiftReview | null;
    /** The rotation's backup on call, when set. */
    backup?: { who: string; afterMinutes: number };
    /** The first shift's backup stretches (someone standing in as the backup within it), when set. */
    stretches?: Array<{ backup?: string; from: string; until: string }>;
    reviewsAsked: number;
  } = {
    standIns,
    notes,
    leaveHandoverNote: async (req) => {
      const refused = notes.noteRefusal(req);
      if (refused) throw new ActionRefused(refused);
      return notes.leaveNote(req, now);
    },
    standIn: async (req) => {
      if (req.matrix !== 'default')
        throw new ActionRefused(`matrix "${req.matrix}" has no on-call rotation (ESCALATION_ONCALL) to stand in for`);
      const s = { ...req, id: `s${standIns.length + 1}`, setAt: now.toISOString() };
      standIns.push(s);
      return s;
    },
    removeStandIn: async (id) => {
      const i = standIns.findIndex((x) => x.id === id);
      if (i < 0)
        throw new ActionRefused(`no stand-in ${id} is set (pgwarden dr oncall lists them; an ended one is gone by itself)`);
      return standIns.splice(i, 1)[0];
    },
    set: (s) => (state = s),
    setOnCall: (c) => (onCall = c),
    databases: () => ['shop'],
    open: async (form, by) => {
      if (!form.summary) throw new ActionRefused('summary is required: one line saying what failed');
      acts.push({ id: '', action: 'open', input: { ...form, by } });
      return { id: 'dr-shop-2', runId: 'r', level1: ['oncall@example.com'] };
    },
    recoveryOptions: async (database) => (database === 'shop' ? options : null),
    onCall: async () => onCall,
    review: {
      since: '2026-11-30T09:00:00.000Z',
      backupsStored: 6,
      failed: [
        {
          work: 'verify',
          database: 'shop',
          times: 2,
          lastId: 'verify-shop-<1>',
          lastAt: '2026-12-02T03:00:00.000Z',
          succeededSince: true,
        },
      ],
      incidents: [],
    },
    reviewsAsked: 0,
    // Bob's week, then Alice's, with the stand-ins set here listed; asked, Bob's week so far.
    roster: async (_at, _count, o) => {
      if (o?.review) backend.reviewsAsked++;
      return {
        rotations: [
          {
            matrix: 'default',
            shifts: [
              { who: 'bob@x.io', from: '2026-11-30T09:00:00.000Z', until: '2026-12-07T09:00:00.000Z' },
              { who: 'alice@x.io', from: '2026-12-07T09:00:00.000Z', until: '2026-12-14T09:00:00.000Z' },
            ]
              .map((s, i) => (backend.backup ? { ...s, backup: i === 0 ? backend.backup.who : 'bob@x.io' } : s))
              .map((s, i) => (i === 0 && backend.stretches ? { ...s, backups: backend.stretches } : s)),
            standIns: [...standIns],
            ...(notes.noteFor('default') ? { note: notes.noteFor('default') } : {}),
            ...(o?.review ? { review: backend.review } : {}),
            ...(backend.backup ? { backup: backend.backup, asksBackup: true as const } : {}),
          },
        ],
      };
    },
    openIncidents: async () => ({ incidents: [state], unanswered }),
    incident: async (id) => (id === state.incidentId ? state : null),
    act: async (id, action, form, by, reach) => {
      const input = actionInput(action, form, by, reach);
      if (action === 'assess' && input.customerImpact === undefined)
        throw new ActionRefused('"customerImpact" is required: true if customers see the outage, else false');
      acts.push({ id, action, input });
      return state;
    },
  };
  return { backend, acts };
}

async function start(
  settings: Partial<ConsoleSettings>,
  backend: ConsoleBackend,
  more: Pick<ConsoleOptions, 'slackApp' | 'now'> = {},
): Promise<{ server: Server; url: string }> {
  const server = createConsoleServer({
    ...more,
    settings: {
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'http://console.example',
      operators: new Map([['alice', hashPassword('correct horse battery')]]),
      trustedUserHeader: null,
      sessionSecret: new Secret(SECRET),
      sessionHours: 12,
      ackLinkHours: 24,
      ...settings,
    },
    backend,
    now: more.now ?? (() => now),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('console auth', () => {
  it('hashes passwords with a salt and checks them in constant time', () => {
    const h = hashPassword('correct horse battery');
    expect(h).toMatch(/^scrypt\$[\w-]+\$[\w-]+$/);
    expect(hashPassword('correct horse battery')).not.toBe(h);
    expect(verifyPassword('correct horse battery', h)).toBe(true);
    expect(verifyPassword('wrong', h)).toBe(false);
    expect(verifyPassword('x', 'plain')).toBe(false);
  });

  it('reads operators as name:hash and refuses a password written in clear', () => {
    const h = hashPassword('correct horse battery');
    expect(parseOperators(`alice:${h}, bob:${h}`).operators.size).toBe(2);
    expect(parseOperators('alice:hunter2').problems).toEqual([
      'alice: the password must be a hash from pgwarden console hash-password (scrypt$...), never the password',
    ]);
  });

  it('signs sessions: a changed, foreign or expired cookie is nobody', () => {
    const c = signSession({ user: 'alice', exp: now.getTime() + 1000 }, SECRET);
    expect(readSession(c, SECRET, now.getTime())).toEqual({ user: 'alice', exp: now.getTime() + 1000 });
    expect(readSession(c, SECRET, now.getTime() + 2000)).toBeNull();
    expect(readSession(c, 'another-secret-of-at-least-32-characters!', now.getTime())).toBeNull();
    const forged = Buffer.from(JSON.stringify({ user: 'mallory', exp: now.getTime() + 1000 })).toString('base64url');
    expect(readSession(`${forged}.${c.split('.')[1]}`, SECRET, now.getTime())).toBeNull();
  });
});

describe('Slack interactivity', () => {
  const body = clickBody({ response_url: 'https://hooks.slack.com/actions/x' });
  const ts = String(Math.floor(now.getTime() / 1000));
  const signed = { timestamp: ts, signature: slackSignature('slack-secret', ts, body) };

  it.each([
    ['signed by Slack just now', signed, body, now.getTime(), null],
    [
      'another secret',
      { ...signed, signature: slackSignature('other', ts, body) },
      body,
      now.getTime(),
      'a signature that does not match SLACK_SIGNING_SECRET',
    ],
    ['a changed body', signed, body.replace('bob', 'eve'), now.getTime(), 'a signature that does not match SLACK_SIGNING_SECRET'],
    ['six minutes later', signed, body, now.getTime() + 6 * 60_000, 'a request older than five minutes (a replay?)'],
    ['no timestamp', { signature: signed.signature }, body, now.getTime(), 'no X-Slack-Request-Timestamp'],
    ['no signature', { timestamp: ts }, body, now.getTime(), 'a signature that does not match SLACK_SIGNING_SECRET'],
  ])('a request %s', (_, headers, b, at, problem) => {
    expect(slackRequestProblem('slack-secret', headers, b, at)).toBe(problem);
  });

  it('reads the clicks and who clicked; anything else is no click', () => {
    expect(slackInteraction(body)).toEqual({
      clicks: [{ actionId: SLACK_ACK_ACTION, value: 'dr-shop-1', by: 'slack:bob' }],
      userId: 'U0BOB',
      responseUrl: 'https://hooks.slack.com/actions/x',
    });
    expect(slackInteraction(clickBody({ trigger_id: '123.456.abc' }))).toMatchObject({ triggerId: '123.456.abc' });
    expect(slackInteraction('payload=not-json')).toEqual({ clicks: [] });
    expect(
      slackInteraction(`payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', user: { id: 'U0BOB' } }))}`),
    ).toEqual({ clicks: [] });
    const withMessage = clickBody({
      response_url: 'https://hooks.slack.com/actions/T1/1/abc',
      message: { text: 'shop down', blocks: [{ type: 'section' }] },
    });
    expect(slackInteraction(withMessage)).toMatchObject({
      responseUrl: 'https://hooks.slack.com/actions/T1/1/abc',
      message: { text: 'shop down', blocks: [{ type: 'section' }] },
    });
  });

  it.each([
    ["Slack's hooks over https", 'https://hooks.slack.com/actions/T1/1/abc', undefined, true],
    ["Slack's hooks over plain http", 'http://hooks.slack.com/actions/T1/1/abc', undefined, false],
    ['a look-alike host', 'https://hooks.slack.com.evil.example/actions', undefined, false],
    ['any other host', 'https://evil.example/actions', undefined, false],
    [
      "SLACK_API_URL's origin (a proxy, the dev stack)",
      'http://127.0.0.1:18025/api/slack/hook/1',
      'http://127.0.0.1:18025/api/slack',
      true,
    ],
    ["another port than SLACK_API_URL's", 'http://127.0.0.1:9/hook', 'http://127.0.0.1:18025/api/slack', false],
    ['no URL at all', 'not a url', 'http://127.0.0.1:18025', false],
  ])('answers a click at %s: %s', (_what, url, apiUrl, allowed) => {
    expect(responseUrlAllowed(url, apiUrl)).toBe(allowed);
  });

  it('reads a submitted form: its callback, what pgwarden put in it, its values and who sent it', () => {
    const values = {
      level: { level: { selected_option: { value: '3' } } },
      reason: { reason: { value: 'restore failed twice' } },
    };
    const submitted = `payload=${encodeURIComponent(
      JSON.stringify({
        type: 'view_submission',
        user: { id: 'U0BOB', username: 'bob' },
        view: { callback_id: SLACK_ESCALATE_VIEW, private_metadata: 'dr-shop-1', state: { values } },
      }),
    )}`;
    expect(slackInteraction(submitted)).toEqual({
      clicks: [],
      userId: 'U0BOB',
      submission: { callbackId: SLACK_ESCALATE_VIEW, privateMetadata: 'dr-shop-1', values, by: 'slack:bob' },
    });
  });

  it('replaces the clicked notice with itself, Acknowledge gone, Escalate kept, and who acknowledged it when', () => {
    const notice = level1Notice();
    const replaced = acknowledgedMessage(
      notice as { text: string; blocks: unknown[] },
      'slack:bob',
      new Date('2026-11-30T10:07:00Z'),
    );
    expect(replaced.replace_original).toBe(true);
    expect(JSON.stringify(replaced.blocks)).not.toContain(SLACK_ACK_ACTION);
    expect(replaced.blocks[0]).toEqual((notice.blocks as unknown[])[0]);
    expect(replaced.blocks.slice(1)).toEqual([
      { type: 'context', elements: [{ type: 'mrkdwn', text: ':white_check_mark: Acknowledged by @bob at 10:07 UTC' }] },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Escalate…' },
            action_id: SLACK_ESCALATE_ACTION,
            value: 'dr-shop-1',
          },
        ],
      },
    ]);
    // With Acknowledge its only button, the buttons go; the note ends the message.
    const ackOnly = {
      ...notice,
      blocks: [
        notice.blocks![0],
        { type: 'actions', elements: [(notice.blocks![1] as unknown as { elements: unknown[] }).elements[0]] },
      ],
    };
    expect(acknowledgedMessage(ackOnly, 'slack:bob', new Date(0)).blocks.map((b) => (b as { type: string }).type)).toEqual([
      'section',
      'context',
    ]);
    expect(replaced.text).toContain('shop down');
    // A message Slack sent without blocks keeps its text as a section.
    expect(acknowledgedMessage({ text: 'shop down' }, 'slack:bob', new Date(0)).blocks[0]).toMatchObject({ type: 'section' });
  });

  const escalating = (escalation: Partial<IncidentState['escalation']>, over: Partial<IncidentState> = {}) =>
    incident({ matrix, escalation: { ...incident().escalation, sent: [1], ...escalation }, ...over });

  it.each([
    ['an open incident with both levels to alert', escalating({}), null],
    ['one whose manager was alerted', escalating({ sent: [1, 2] }), null],
    [
      'one whose manager and executive were alerted',
      escalating({ sent: [1, 2, 3] }),
      'dr-shop-1: the manager and the executive were already alerted; to tell them more, post an update (dr note --tell, or the console)',
    ],
    ['a closed one', escalating({}, { status: 'resolved' }), 'dr-shop-1 is resolved; nothing more can be recorded'],
    [
      'a drill that alerts level 1 only',
      escalating({ levelOneOnly: true }),
      'dr-shop-1: this drill alerts level 1 only; nobody above it is told of a drill',
    ],
    ['none at all', null, 'dr-shop-1: no such incident'],
  ])('offers the Escalate form for %s, or says why not', (_what, state, problem) => {
    expect(formProblem(escalateForm, state, 'dr-shop-1')).toBe(problem);
  });

  it('builds the Escalate form from the levels not yet alerted, the lowest chosen, the incident in its private metadata', () => {
    const view = modalOf(escalateForm, escalating({})) as Record<string, unknown> & { blocks: Array<Record<string, unknown>> };
    expect(view).toMatchObject({ type: 'modal', callback_id: SLACK_ESCALATE_VIEW, private_metadata: 'dr-shop-1' });
    const [, level, reason] = view.blocks;
    // Who hears a level goes in the option's description: Slack cuts both at 75 characters.
    const option = (text: string, description: string, value: string) => ({
      text: { type: 'plain_text', text },
      description: { type: 'plain_text', text: description },
      value,
    });
    expect(level).toEqual({
      type: 'input',
      block_id: 'level',
      label: { type: 'plain_text', text: 'Who' },
      element: {
        type: 'radio_buttons',
        action_id: 'level',
        options: [
          option('level 2: manager', 'manager@x.io', '2'),
          option('level 3: executive, and the manager', 'exec@x.io', '3'),
        ],
        initial_option: option('level 2: manager', 'manager@x.io', '2'),
      },
    });
    expect(reason).toMatchObject({
      block_id: 'reason',
      element: { type: 'plain_text_input', action_id: 'reason', max_length: 2000 },
    });
    // Once the manager knows, only the executive is offered.
    const later = modalOf(escalateForm, escalating({ sent: [1, 2] })) as {
      blocks: Array<{ element?: { options?: unknown[] } }>;
    };
    expect(later.blocks[1].element!.options).toEqual([option('level 3: executive', 'exec@x.io', '3')]);
    // A long list of contacts is cut where Slack would refuse the form, saying so.
    const many = {
      ...matrix,
      level2: { ...matrix.level2, contacts: Array.from({ length: 9 }, (_, i) => `manager${i}@example.com`) },
    };
    const cut = formModal(escalateForm, { state: escalating({}, { matrix: many }), databases: [] }) as {
      blocks: Array<{ element?: { options?: Array<{ description: { text: string } }> } }>;
    };
    const described = cut.blocks[1].element!.options![0].description.text;
    expect([described.length, described.endsWith('…')]).toEqual([75, true]);
  });

  it('builds the update form: the text, and telling everyone alerted so far checked, naming them', () => {
    const view = modalOf(updateForm, escalating({ sent: [1, 2] })) as Record<string, unknown> & {
      blocks: Array<Record<string, unknown>>;
    };
    expect(view).toMatchObject({ type: 'modal', callback_id: SLACK_UPDATE_VIEW, private_metadata: 'dr-shop-1' });
    const [, text, tell] = view.blocks;
    expect(text).toMatchObject({ block_id: 'text', element: { type: 'plain_text_input', action_id: 'text', max_length: 2000 } });
    const option = {
      text: { type: 'plain_text', text: 'Tell everyone alerted so far' },
      description: { type: 'plain_text', text: 'devops@x.io, manager@x.io' },
      value: 'yes',
    };
    expect(tell).toMatchObject({
      block_id: 'tell',
      optional: true,
      element: { type: 'checkboxes', action_id: 'tell', options: [option], initial_options: [option] },
    });
    expect(formProblem(updateForm, escalating({ sent: [1, 2, 3] }), 'dr-shop-1')).toBeNull();
    expect(formProblem(updateForm, escalating({}, { status: 'aborted' }), 'dr-shop-1')).toBe(
      'dr-shop-1 is aborted; nothing more can be recorded',
    );
  });

  it('renders a notice with buttons as blocks, the text kept as the fallback', () => {
    const m = level1Notice();
    expect(m.text).toContain('*shop down*');
    expect(m.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: m.text } },
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Acknowledge' },
            action_id: SLACK_ACK_ACTION,
            value: 'dr-shop-1',
            style: 'primary',
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Escalate…' },
            action_id: SLACK_ESCALATE_ACTION,
            value: 'dr-shop-1',
          },
        ],
      },
    ]);
    expect(renderSlack({ event: 'x', severity: 'info', title: 't', facts: [] }).blocks).toBeUndefined();
    // What people typed is escaped: a summary cannot mention the whole channel or hide a link.
    expect(
      renderSlack({ event: 'x', severity: 'info', title: 'a <!here> & b', facts: [['k', '<http://x|y>']], mention: 'U0BOB' })
        .text,
    ).toBe('<@U0BOB> :white_check_mark: *a &lt;!here&gt; &amp; b*\n• *k:* &lt;http://x|y&gt;');
  });
});

describe('the console over HTTP', () => {
  let server: Server | undefined;
  /** Other servers a test started, closed even when it failed (an open one keeps Jest from exiting). */
  const closeAfter: Server[] = [];
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  afterEach(() => {
    for (const s of closeAfter.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
  });

  /**
   * Stands in for Slack: its Web API (views.open refuses the trigger "expired", as Slack does
   * after 3 s) and the response_urls; everything posted is kept.
   */
  async function slackStandIn() {
    const posted: Array<{ path: string; auth?: string; body: Record<string, unknown> }> = [];
    const reads: string[] = [];
    const slack = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        // A user group's members, as Slack lists them: S0ONCALL has carol; S0HIDDEN needs a scope the app lacks.
        const group = /^\/api\/usergroups\.users\.list\?usergroup=(\w+)$/.exec(req.url ?? '')?.[1];
        if (req.method === 'GET' && group) {
          reads.push(group);
          const members = { S0ONCALL: ['U0CAROL'] } as Record<string, string[]>;
          return res.end(
            JSON.stringify(members[group] ? { ok: true, users: members[group] } : { ok: false, error: 'missing_scope' }),
          );
        }
        // Slack's users.info: carol's address; dan's is hidden (the app lacks users:read.email).
        const user = /^\/api\/users\.info\?user=(\w+)$/.exec(req.url ?? '')?.[1];
        if (req.method === 'GET' && user) {
          reads.push(user);
          const profile = user === 'U0CAROL' ? { email: 'carol@x.io' } : {};
          return res.end(JSON.stringify({ ok: true, user: { id: user, profile } }));
        }
        const body = JSON.parse(text) as Record<string, unknown>;
        posted.push({ path: req.url ?? '', auth: req.headers.authorization, body });
        const expired = req.url === '/api/views.open' && body.trigger_id === 'expired';
        res.end(JSON.stringify(expired ? { ok: false, error: 'expired_trigger_id' } : { ok: true }));
      });
    });
    await new Promise<void>((r) => slack.listen(0, '127.0.0.1', r));
    closeAfter.push(slack);
    const url = `http://127.0.0.1:${(slack.address() as AddressInfo).port}`;
    return {
      posted,
      reads,
      url,
      settings: { slackSigningSecret: new Secret('slack-secret'), slackApiUrl: `${url}/api` },
      slackApp: { token: new Secret('xoxb-console-test'), channel: 'C0INC', apiUrl: `${url}/api` },
    };
  }

  /** A body posted to a console's Slack endpoint, signed as Slack does (with "slack-secret", or `signature`). */
  const fromSlack = (consoleUrl: string, body: string, signature?: string) =>
    postAsSlack(`${consoleUrl}/slack/actions`, body, 'slack-secret', { atMs: now.getTime(), signature });

  /** A console answering the Slack stand-in, with its bot: `settings` added to Slack's own. */
  async function startWithSlack(
    backend: ConsoleBackend,
    settings: Partial<ConsoleSettings> = {},
    more: Pick<ConsoleOptions, 'now'> = {},
  ) {
    const slack = await slackStandIn();
    const s = await start({ ...slack.settings, ...settings }, backend, { slackApp: slack.slackApp, ...more });
    server = s.server;
    return { slack, s };
  }

  /** bob's click on a notice's button `action`, as Slack posts it. */
  const buttonClick = (action: string, more: Record<string, unknown> = {}) =>
    clickBody({ actions: [{ action_id: action, value: 'dr-shop-1' }], ...more });

  it('refuses a name from an address after five failed logins, even with the right password', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    for (let i = 0; i < 5; i++)
      expect((await fetch(`${s.url}/login`, form({ user: 'alice', password: `guess ${i}` }))).status).toBe(401);
    const locked = await fetch(`${s.url}/login`, form({ user: 'alice', password: 'correct horse battery' }));
    expect(locked.status).toBe(429);
    expect(locked.headers.get('set-cookie')).toBeNull();
    expect(await locked.text()).toContain('too many failed logins for this name from here: try again in 15 min');
    // Another name from the same address is not locked with it.
    expect((await fetch(`${s.url}/login`, form({ user: 'bob', password: 'nope' }))).status).toBe(401);
  }, 15_000);

  it('asks who you are, then shows the board and the incident with only the forms it waits for, everything escaped', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const first = await fetch(`${s.url}/`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/login?next=%2F');
    const wrong = await fetch(`${s.url}/login`, form({ user: 'alice', password: 'nope' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('unknown name or wrong password');
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const ok = await fetch(`${s.url}/login`, form({ user: 'alice', password: 'correct horse battery', next: '//evil.example' }));
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/'); // never to another site
    const cookie = ok.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^pgwarden_session=[\w-]+\.[\w-]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const headers = { cookie: cookie.split(';')[0] };

    const board = await fetch(`${s.url}/`, { headers });
    expect(board.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(board.headers.get('x-frame-options')).toBe('DENY');
    const html = await board.text();
    expect(html).toContain('orders &lt;script&gt;alert(1)&lt;/script&gt; lost');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<strong>not acknowledged</strong>');

    const page = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    const actions = formsOn(page);
    expect(actions).toEqual(['ack', 'assess', 'skip', 'note', 'responder', 'abort']);
    expect(page).toContain(`name="csrf" value="${csrfToken('alice', SECRET)}"`);
    expect(page).not.toContain(SECRET);
  });

  it('acts as the person logged in, only with their CSRF token, and shows a refusal inline', async () => {
    const { backend, acts } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const post = (action: string, fields: Record<string, string>) =>
      fetch(`${s.url}/incidents/dr-shop-1/${action}`, { ...form(fields), headers: { ...form(fields).headers, ...headers } });

    expect((await post('assess', { scope: 'orders', customerImpact: 'no' })).status).toBe(403); // no token
    expect((await post('assess', { scope: 'orders', customerImpact: 'no', csrf: csrfToken('bob', SECRET) })).status).toBe(403);
    const refused = await post('assess', { scope: 'orders', csrf: csrfToken('alice', SECRET) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('&quot;customerImpact&quot; is required');
    const done = await post('assess', {
      scope: 'orders since 02:00',
      customerImpact: 'yes',
      notes: '',
      csrf: csrfToken('alice', SECRET),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/incidents/dr-shop-1?done=assess');
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'assess', input: { by: 'alice', dataLossScope: 'orders since 02:00', customerImpact: true } },
    ]);
    // A status update at any step, told to everyone alerted when ticked.
    const note = await post('note', { text: 'restore at 60%', tell: 'yes', csrf: csrfToken('alice', SECRET) });
    expect(note.headers.get('location')).toBe('/incidents/dr-shop-1?done=note');
    expect(acts.at(-1)).toEqual({ id: 'dr-shop-1', action: 'note', input: { by: 'alice', text: 'restore at 60%', tell: true } });
    // Someone asked to help, by address, with why.
    const asked = await post('responder', { who: ' dba@x.io ', reason: 'the replica lags', csrf: csrfToken('alice', SECRET) });
    expect(asked.headers.get('location')).toBe('/incidents/dr-shop-1?done=responder');
    expect(acts.at(-1)).toEqual({
      id: 'dr-shop-1',
      action: 'responder',
      input: { by: 'alice', who: 'dba@x.io', reason: 'the replica lags' },
    });
    backend.set(
      incident({
        escalation: {
          ...incident().escalation,
          responders: [{ who: 'dba@x.io', by: 'alice', at: '2026-11-24T02:10:00Z', reason: 'the replica lags' }],
        },
      }),
    );
    expect(await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text()).toContain(
      '<tr><th>Asked to help</th><td>dba@x.io (asked by alice)</td></tr>',
    );
    // Someone else leads: the page offers to take the lead over, and the form says so.
    backend.set(
      incident({ escalation: { ...incident().escalation, acknowledgedBy: 'bob', acknowledgedAt: '2026-11-24T02:05:00Z' } }),
    );
    const page = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(page).toContain('<h3>Take the lead over</h3>');
    await post('ack', { takeOver: 'yes', csrf: csrfToken('alice', SECRET) });
    expect(acts.at(-1)).toEqual({ id: 'dr-shop-1', action: 'ack', input: { by: 'alice', takeOver: true } });
  });

  it("acknowledges from a mail's signed link after a confirmation, and refuses one changed or expired", async () => {
    const { backend, acts } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const token = actionToken(
      {
        incidentId: 'dr-shop-1',
        by: 'devops@example.com',
        exp: now.getTime() + 3_600_000,
        action: 'ack',
        email: 'devops@example.com',
      },
      SECRET,
    );
    const confirm = await fetch(`${s.url}/ack?t=${token}`);
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Acknowledge <strong>dr-shop-1</strong>');
    expect(acts).toEqual([]); // opening the link does nothing
    const ok = await fetch(`${s.url}/ack?t=${token}`, { method: 'POST' });
    expect(await ok.text()).toContain('Acknowledged dr-shop-1 as devops@example.com');
    // The address the link was mailed to goes with it: reminders to post an update reach the lead there.
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'ack', input: { by: 'devops@example.com', reach: { email: 'devops@example.com' } } },
    ]);

    const expired = actionToken({ incidentId: 'dr-shop-1', by: 'x', exp: now.getTime() - 1, action: 'ack' }, SECRET);
    expect(await (await fetch(`${s.url}/ack?t=${expired}`, { method: 'POST' })).text()).toContain('this link has expired');
    const changed = token.replace(/^./, (c) => (c === 'e' ? 'f' : 'e'));
    expect((await fetch(`${s.url}/ack?t=${changed}`, { method: 'POST' })).status).toBe(403);
    expect(acts).toHaveLength(1);
  });

  it('opens an incident from the board as the person logged in, with their CSRF token, a refusal shown on the board', async () => {
    const { backend, acts } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const post = (fields: Record<string, string>) =>
      fetch(`${s.url}/incidents`, { ...form(fields), headers: { ...form(fields).headers, ...headers } });
    const board = await (await fetch(`${s.url}/`, { headers })).text();
    expect(board).toContain('data-action="open"');
    expect(board).toContain('<option>shop</option>');
    expect((await post({ database: 'shop', summary: 'orders lost' })).status).toBe(403); // no token
    const refused = await post({ database: 'shop', summary: '', csrf: csrfToken('alice', SECRET) });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('summary is required');
    const opened = await post({ database: 'shop', summary: 'orders lost', severity: 'SEV2', csrf: csrfToken('alice', SECRET) });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/incidents/dr-shop-2?done=open');
    expect(acts).toEqual([
      { id: '', action: 'open', input: expect.objectContaining({ database: 'shop', summary: 'orders lost', by: 'alice' }) },
    ]);
  });

  it("shows a database's backups and recoverable window, and offers them in the selection step", async () => {
    const { backend } = fakeBackend(incident({ step: 'select', waitingFor: 'a selection' }));
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const only = await fetch(`${s.url}/backups`, { headers, redirect: 'manual' });
    expect(only.headers.get('location')).toBe('/backups/shop'); // one database: its page
    const page = await (await fetch(`${s.url}/backups/shop`, { headers })).text();
    expect(page).toContain('data-backup="backup_20261130_020000"');
    expect(page).toMatch(/5\.0 MiB|5 MiB/);
    expect(page).toContain('passed 2026-11-30 03:00 UTC');
    expect(page).toContain('any second from 2026-11-23 01:00 UTC to 2026-11-30 10:29 UTC');
    expect(page).toContain(
      '<tr data-restore-point="before-migration-42"><td><code>before-migration-42</code></td><td>2026-11-30 09:15 UTC</td><td><code>3/5A0F10C8</code></td><td>from <code>base_20261130_020000</code></td></tr>',
    );
    expect(page).toContain('<code>&lt;old&gt;</code>');
    // The base backups, a failed verification said (escaped), before the restore points.
    expect(page).toContain(
      '<tr data-base-backup="base_20261123_010000"><td><code>base_20261123_010000</code></td><td>2026-11-23 01:02 UTC</td><td>38.0 MiB</td><td>1</td><td>passed 2026-11-23 03:10 UTC</td><td>the newest WAL archived</td></tr>',
    );
    expect(page).toContain('FAILED 2026-11-30 03:10 UTC: pg_verifybackup: &lt;bad&gt; checksum');
    expect(page).toContain('<td>40.0 MiB, incremental on <code>base_20261123_010000</code></td>');
    expect(page.indexOf('<h2>Base backups</h2>')).toBeLessThan(page.indexOf('<h2>Restore points</h2>'));
    expect(page).toContain('not reachable: before the oldest base backup');
    expect((await fetch(`${s.url}/backups/nope`, { headers })).status).toBe(404);
    const step = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(step).toContain('<input type="radio" name="backupId" value="backup_20261130_020000">');
    expect(step).toContain('<input type="radio" name="backupId" value="" checked> the proposal');
    expect(step).toContain('Recoverable window: any second from');
    expect(step).toContain('Restore points: <code>before-migration-42</code> made 2026-11-30 09:15 UTC');
    expect(step).toContain('<input type="text" name="toName" placeholder="before-migration">');
    // Restore points made before the failure come with the proposal, HTML-escaped.
    backend.set(
      incident({
        step: 'select',
        waitingFor: 'a selection',
        pointInTime: {
          target: { kind: 'time', time: '2026-11-30T09:59:59.000Z' },
          baseBackupId: 'base_20261130_020000',
          lossSeconds: 1,
          why: 'the second before the failure',
          restorePoints: [{ name: 'before <migration>', createdAt: '2026-11-30T09:15:00Z' }],
        },
      }),
    );
    const offered = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(offered).toContain(
      '<li data-restore-point="before &lt;migration&gt;">the restore point <code>before &lt;migration&gt;</code> made 2026-11-30 09:15 UTC: give its name as the restore point below</li>',
    );

    // A failed restore: another recovery can be chosen, beside retry and skip.
    backend.set(incident({ step: 'restore', stepStatus: 'failed', waitingFor: 'a decision' }));
    const failed = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(formsOn(failed)).toEqual(['ack', 'select', 'retry', 'skip', 'note', 'responder', 'abort']);
    expect(failed).toContain('Choose another recovery (the restore runs again with it)');
    expect(failed).toContain('value="backup_20261130_020000"');
  });

  it('tells live.js when what a page shows changed, and serves that one script under a CSP that allows only it', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const page = await fetch(`${s.url}/incidents/dr-shop-1`, { headers });
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const version = /data-version="([^"]+)"/.exec(await page.text())![1];
    const live = async () => (await fetch(`${s.url}/live?of=dr-shop-1`, { headers })).text();
    expect(await live()).toBe(version);
    backend.set(incident({ escalation: { ...incident().escalation, acknowledgedBy: 'bob', acknowledgedAt: now.toISOString() } }));
    // Viewers share one read a second: the change shows by the next poll (pages poll every 3 s).
    await new Promise((r) => setTimeout(r, 1100));
    expect(await live()).not.toBe(version);
    expect((await fetch(`${s.url}/live?of=board`, { redirect: 'manual' })).status).toBe(303); // nobody logged in: nothing said
    const script = await fetch(`${s.url}/live.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).toContain('location.reload()');
  });

  it("acknowledges a Slack button's click as the Slack user, only when Slack signed it, and shows it in the notice", async () => {
    const { backend, acts } = fakeBackend(incident());
    // Stands in for Slack's response_url: what the console posts there replaces the notice.
    const slack = await slackStandIn();
    const { posted } = slack;
    const s = await start(slack.settings, backend);
    server = s.server;
    const body = clickBody({ response_url: `${slack.url}/actions/T1/1/abc`, message: level1Notice() });
    const ts = String(Math.floor(now.getTime() / 1000));
    const click = (signature: string) => fromSlack(s.url, body, signature);
    expect((await click(slackSignature('guess', ts, body))).status).toBe(401);
    expect(acts).toEqual([]);
    const ok = await click(slackSignature('slack-secret', ts, body));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ text: 'dr-shop-1 acknowledged by slack:bob' });
    // The Slack user id goes with it: the thread mentions the lead later.
    expect(acts).toEqual([{ id: 'dr-shop-1', action: 'ack', input: { by: 'slack:bob', reach: { slack: 'U0BOB' } } }]);
    await waitUntil(() => posted.length > 0);
    expect(posted).toHaveLength(1);
    expect(posted[0].path).toBe('/actions/T1/1/abc');
    expect(posted[0].body).toMatchObject({ replace_original: true });
    expect(JSON.stringify(posted[0].body)).toContain('Acknowledged by @bob at 10:30 UTC');
    expect(JSON.stringify(posted[0].body)).not.toContain(SLACK_ACK_ACTION);

    // Without a signing secret there is no Slack endpoint: the request needs a login like any other.
    const plain = await start({}, backend);
    try {
      const r = await fetch(`${plain.url}/slack/actions`, { method: 'POST', redirect: 'manual', body });
      expect(r.status).toBe(303);
      expect(acts).toHaveLength(1);
    } finally {
      plain.server.close();
    }
  });

  it('opens the Escalate form from a Slack notice, and turns its submission into the escalate Update as the Slack user', async () => {
    const base = incident();
    const { backend, acts } = fakeBackend({ ...base, matrix, escalation: { ...base.escalation, sent: [1] } });
    const { slack, s } = await startWithSlack(backend);
    const { posted, settings, slackApp } = slack;
    const signedPost = (url: string, body: string) => fromSlack(url, body);
    const escalateClick = (trigger: string) =>
      buttonClick(SLACK_ESCALATE_ACTION, { trigger_id: trigger, response_url: `${slack.url}/actions/T1/1/esc` });

    // The click opens the form with the bot's token: nothing is recorded yet.
    expect((await signedPost(s.url, escalateClick('123.456.abc'))).status).toBe(200);
    expect(posted.map((p) => p.path)).toEqual(['/api/views.open']);
    expect(posted[0].auth).toBe('Bearer xoxb-console-test');
    expect(posted[0].body).toEqual({
      trigger_id: '123.456.abc',
      view: modalOf(escalateForm, (await backend.incident('dr-shop-1'))!),
    });
    expect(acts).toEqual([]);

    // Submitted: the Update as bob, and an empty reply closes the form.
    const submit = (level: string, reason: string) => slackEscalateSubmitBody('dr-shop-1', 'bob', level, reason);
    const done = await signedPost(s.url, submit('3', 'restore failed twice'));
    expect(done.status).toBe(200);
    expect(await done.text()).toBe('');
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'escalate', input: { by: 'slack:bob', level: 3, reason: 'restore failed twice' } },
    ]);

    // A refusal shows on the form's field it is about; nothing is closed, nothing recorded.
    const act = backend.act;
    backend.act = async (id, action, f, by) => {
      if (!f.reason.trim()) throw new ActionRefused('"reason" is required: why they are needed now');
      if (f.level === '2') throw new ActionRefused('level 2 (manager) was already alerted; to tell them more, post an update');
      return act(id, action, f, by);
    };
    for (const [level, reason, field] of [
      ['3', '  ', 'reason'],
      ['2', 'again', 'level'],
    ]) {
      const refused = await signedPost(s.url, submit(level, reason));
      expect(refused.status).toBe(200);
      expect(Object.keys(((await refused.json()) as { errors: object }).errors)).toEqual([field]);
    }
    expect(acts).toHaveLength(1);

    // Once both levels were alerted the form does not open; the clicker alone is told why.
    backend.set({ ...base, matrix, escalation: { ...base.escalation, sent: [1, 2, 3] } });
    posted.length = 0;
    await signedPost(s.url, escalateClick('123.456.def'));
    await waitUntil(() => posted.length > 0);
    expect(posted.map((p) => [p.path, p.body.response_type])).toEqual([['/actions/T1/1/esc', 'ephemeral']]);
    expect(posted[0].body.text).toMatch(/the manager and the executive were already alerted/);

    // A trigger that expired (a slow answer): said, with what to do.
    backend.set({ ...base, matrix, escalation: { ...base.escalation, sent: [1] } });
    posted.length = 0;
    await signedPost(s.url, escalateClick('expired'));
    await waitUntil(() => posted.length > 1);
    expect(posted.at(-1)!.body.text).toBe('dr-shop-1: the form did not open (Slack views.open: expired_trigger_id); try again');

    // An incident slower to answer than Slack waits: the form closes, and a later refusal reaches
    // bob alone in the incident channel.
    const slow = await start(settings, backend, { slackApp });
    closeAfter.push(slow.server);
    backend.act = async () => {
      await new Promise((r) => setTimeout(r, 2_800));
      throw new ActionRefused('the incident is resolved; nothing more can be recorded');
    };
    posted.length = 0;
    const closed = await signedPost(slow.url, submit('3', 'late'));
    expect(await closed.text()).toBe('');
    await waitUntil(() => posted.length > 0);
    expect(posted).toEqual([
      {
        path: '/api/chat.postEphemeral',
        auth: 'Bearer xoxb-console-test',
        body: {
          channel: 'C0INC',
          user: 'U0BOB',
          text: 'dr-shop-1: not escalated: the incident is resolved; nothing more can be recorded',
        },
      },
    ]);

    // Without the bot the console cannot open forms: the clicker is told where to escalate instead.
    const noBot = await start(settings, backend);
    closeAfter.push(noBot.server);
    posted.length = 0;
    await signedPost(noBot.url, escalateClick('123.456.ghi'));
    await waitUntil(() => posted.length > 0);
    expect(posted.map((p) => p.path)).toEqual(['/actions/T1/1/esc']);
    expect(posted[0].body.text).toMatch(/without SLACK_BOT_TOKEN and SLACK_CHANNEL; use the console's page or pgwarden dr$/);
  });

  it('posts a status update from its Slack form as the Slack user, told to everyone alerted or kept as a note', async () => {
    const base = incident();
    const { backend, acts } = fakeBackend({ ...base, matrix, escalation: { ...base.escalation, sent: [1, 2] } });
    const { slack, s } = await startWithSlack(backend);
    const signedPost = (body: string) => fromSlack(s.url, body);
    await signedPost(buttonClick(SLACK_UPDATE_ACTION, { trigger_id: '1.2.3' }));
    expect(slack.posted.map((p) => [p.path, p.body])).toEqual([
      ['/api/views.open', { trigger_id: '1.2.3', view: modalOf(updateForm, (await backend.incident('dr-shop-1'))!) }],
    ]);
    const submit = (text: string, tell: boolean) =>
      signedPost(
        slackSubmitBody(SLACK_UPDATE_VIEW, 'dr-shop-1', 'bob', {
          text: { text: { value: text } },
          tell: { tell: { selected_options: tell ? [{ value: 'yes' }] : [] } },
        }),
      );
    expect(await (await submit('restore at 60%', true)).text()).toBe('');
    expect(await (await submit('looked at the replica', false)).text()).toBe('');
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'note', input: { by: 'slack:bob', text: 'restore at 60%', tell: true } },
      { id: 'dr-shop-1', action: 'note', input: { by: 'slack:bob', text: 'looked at the replica' } },
    ]);
    const act = backend.act;
    backend.act = async (id, action, f, by) => {
      if (!f.text.trim()) throw new ActionRefused('"text" is required: what to put on the record');
      return act(id, action, f, by);
    };
    const refused = await submit('  ', true);
    expect(await refused.json()).toEqual({
      response_action: 'errors',
      errors: { text: '"text" is required: what to put on the record' },
    });
    expect(acts).toHaveLength(2);
  });

  it('asks someone to help from its Slack form as the Slack user; a refusal shows on the field it is about', async () => {
    const { backend, acts } = fakeBackend({ ...incident(), matrix });
    const { slack, s } = await startWithSlack(backend);
    const signedPost = (body: string) => fromSlack(s.url, body);
    await signedPost(buttonClick(SLACK_RESPONDER_ACTION, { trigger_id: '1.2.4' }));
    const view = modalOf(responderForm, (await backend.incident('dr-shop-1'))!);
    expect(slack.posted.map((p) => [p.path, p.body])).toEqual([['/api/views.open', { trigger_id: '1.2.4', view }]]);
    expect(JSON.stringify(view)).toContain('"type":"email_text_input","action_id":"who"');
    const submit = (who: string, reason: string) =>
      signedPost(
        slackSubmitBody(SLACK_RESPONDER_VIEW, 'dr-shop-1', 'bob', {
          who: { who: { value: who } },
          reason: { reason: { value: reason } },
        }),
      );
    expect(await (await submit('dba@x.io', 'the replica lags')).text()).toBe('');
    expect(acts).toEqual([
      { id: 'dr-shop-1', action: 'responder', input: { by: 'slack:bob', who: 'dba@x.io', reason: 'the replica lags' } },
    ]);
    backend.act = async () => {
      throw new ActionRefused('dba@x.io already hears of this incident; to tell them more, post an update');
    };
    const again = await submit('dba@x.io', 'still');
    expect(await again.json()).toEqual({
      response_action: 'errors',
      errors: { who: 'dba@x.io already hears of this incident; to tell them more, post an update' },
    });
  });

  it('answers /pgwarden in Slack: the open incidents to the sender alone, a form to open one, help otherwise', async () => {
    const base = incident({ summary: 'orders <!channel> lost' });
    const { backend, acts } = fakeBackend({
      ...base,
      matrix,
      escalation: { ...base.escalation, sent: [1, 2], acknowledgedBy: 'slack:bob' },
    });
    const { slack, s } = await startWithSlack(backend);
    const command = (text: string, signature?: string) => {
      const body = new URLSearchParams({
        command: '/pgwarden',
        text,
        user_id: 'U0BOB',
        user_name: 'bob',
        trigger_id: '9.9.9',
        response_url: `${slack.url}/commands/1`,
      }).toString();
      return postAsSlack(`${s.url}/slack/commands`, body, 'slack-secret', { atMs: now.getTime(), signature });
    };
    expect((await command('status', 'v0=guess')).status).toBe(401);

    // The board: escaped, so a summary cannot mention the whole channel; linked to the console.
    const status = (await (await command('status')).json()) as { response_type: string; text: string };
    expect(status).toEqual({
      response_type: 'ephemeral',
      text: '*[SEV1] shop*: orders &lt;!channel&gt; lost (<http://console.example/incidents/dr-shop-1|dr-shop-1>) - 2. Assess impact (waiting); led by slack:bob; alerted: levels 1 (DevOps team), 2 (manager)',
    });

    // `open` with what failed: the form, that text filled in, the one database chosen.
    const opened = await command('open orders database corrupted');
    expect([opened.status, await opened.text()]).toEqual([200, '']);
    const [form] = slack.posted;
    expect(form.path).toBe('/api/views.open');
    expect(form.body.trigger_id).toBe('9.9.9');
    expect(form.body.view).toEqual(
      formModal(openIncidentForm, { state: null, databases: ['shop'], initial: { summary: 'orders database corrupted' } }),
    );
    expect(JSON.stringify(form.body.view)).toContain('"initial_value":"orders database corrupted"');

    // Submitted: the incident opens as the Slack user; a missing summary is said on its field.
    const submit = (summary: string) =>
      fromSlack(
        s.url,
        slackSubmitBody(SLACK_OPEN_VIEW, '', 'bob', {
          database: { database: { selected_option: { value: 'shop' } } },
          summary: { summary: { value: summary } },
          severity: { severity: { selected_option: { value: 'SEV2' } } },
          failureTime: { failureTime: { value: null } },
        }),
      );
    expect(await (await submit('orders database corrupted')).text()).toBe('');
    expect(acts).toEqual([
      {
        id: '',
        action: 'open',
        input: { database: 'shop', summary: 'orders database corrupted', severity: 'SEV2', failureTime: '', by: 'slack:bob' },
      },
    ]);
    expect(await (await submit('')).json()).toEqual({
      response_action: 'errors',
      errors: { summary: 'summary is required: one line saying what failed' },
    });
    expect(acts).toHaveLength(1);

    // Who is on call: none configured, then one rotation, then two.
    const oncall = async () => ((await (await command('oncall')).json()) as { text: string }).text;
    expect(await oncall()).toBe(
      'No on-call rotation is configured (ESCALATION_ONCALL): an incident alerts the whole of level 1 at once.',
    );
    backend.setOnCall([{ matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z', next: 'alice@x.io' }]);
    expect(await oncall()).toBe('On call: *bob@x.io* until 2026-12-07 09:00 UTC, then alice@x.io');
    // With the note Bob left for Alice, escaped.
    backend.setOnCall([
      {
        matrix: 'default',
        who: 'bob@x.io',
        until: '2026-12-07T09:00:00.000Z',
        next: 'alice@x.io',
        note: { text: 'db2 disk at 80% <!here>', by: 'bob' },
      },
    ]);
    expect(await oncall()).toBe(
      'On call: *bob@x.io* until 2026-12-07 09:00 UTC, then alice@x.io\n_Note for alice@x.io from bob:_ db2 disk at 80% &lt;!here&gt;',
    );
    // With a backup on call: who, after how long without an acknowledgement.
    backend.setOnCall([
      {
        matrix: 'default',
        who: 'bob@x.io',
        until: '2026-12-07T09:00:00.000Z',
        next: 'alice@x.io',
        backup: { who: 'alice@x.io', afterMinutes: 15 },
      },
    ]);
    expect(await oncall()).toBe(
      'On call: *bob@x.io* until 2026-12-07 09:00 UTC, then alice@x.io; backup alice@x.io if an incident is not acknowledged within 15 min',
    );
    backend.setOnCall([
      { matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z', next: 'alice@x.io' },
      { matrix: 'payments', who: 'pat@x.io', until: '2026-12-01T09:00:00.000Z', next: 'pam@x.io' },
    ]);
    expect(await oncall()).toBe(
      'On call (default): *bob@x.io* until 2026-12-07 09:00 UTC, then alice@x.io\nOn call (payments): *pat@x.io* until 2026-12-01 09:00 UTC, then pam@x.io',
    );
    // The stand-ins' roster did not answer: said, so nobody takes the configured rotation for the whole truth.
    backend.setOnCall([{ matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z', unread: 'no worker answered' }]);
    expect(await oncall()).toBe('On call: *bob@x.io* until 2026-12-07 09:00 UTC\n_As configured: no worker answered_');

    const help = (await (await command('nope')).json()) as { text: string };
    expect(help.text).toMatch(/^`nope` is not a \/pgwarden command:\n`\/pgwarden open <what failed>`/);
  });

  it('lets only SLACK_ALLOWED_USERS act from Slack when set: others are told so, alone, and nothing is recorded', async () => {
    const { backend, acts } = fakeBackend({ ...incident(), matrix, escalation: { ...incident().escalation, sent: [1] } });
    const { slack, s } = await startWithSlack(backend, { slackAllowedUsers: new Set(['U0ALICE']) });
    const refusal =
      'only the Slack users in SLACK_ALLOWED_USERS act on incidents from Slack, and you (U0BOB) are not among them; use the console or pgwarden dr, or ask for your id to be added';
    // bob's click: answered to him alone through the response_url, no Update.
    const click = await fromSlack(s.url, clickBody({ response_url: `${slack.url}/actions/T1/1/bob` }));
    expect(click.status).toBe(200);
    await waitUntil(() => slack.posted.length > 0);
    expect(slack.posted.map((p) => [p.path, p.body.response_type, p.body.text])).toEqual([
      ['/actions/T1/1/bob', 'ephemeral', refusal],
    ]);
    // His form submission: the refusal on its first field.
    const submitted = await fromSlack(s.url, slackEscalateSubmitBody('dr-shop-1', 'bob', '2', 'need a decision'));
    expect(await submitted.json()).toEqual({ response_action: 'errors', errors: { level: refusal } });
    // His /pgwarden open: refused; /pgwarden status: reading is everyone's.
    const command = (text: string) =>
      postAsSlack(
        `${s.url}/slack/commands`,
        new URLSearchParams({ command: '/pgwarden', text, user_id: 'U0BOB', user_name: 'bob', trigger_id: '1.1.1' }).toString(),
        'slack-secret',
        { atMs: now.getTime() },
      );
    expect(((await (await command('open db down')).json()) as { text: string }).text).toBe(refusal);
    expect(((await (await command('status')).json()) as { text: string }).text).toContain('dr-shop-1');
    expect(acts).toEqual([]);
    expect(slack.posted.filter((p) => p.path === '/api/views.open')).toEqual([]);
    // alice, in the list, acts.
    await fromSlack(s.url, slackClickBody('dr-shop-1', 'alice', { user: { id: 'U0ALICE', username: 'alice' } }));
    expect(acts).toEqual([{ id: 'dr-shop-1', action: 'ack', input: { by: 'slack:alice', reach: { slack: 'U0ALICE' } } }]);
  });

  it('lets the members of a Slack user group in SLACK_ALLOWED_USERS act, read from Slack and kept a minute', async () => {
    const { backend, acts } = fakeBackend({ ...incident(), matrix, escalation: { ...incident().escalation, sent: [1] } });
    let clock = now.getTime();
    const { slack, s } = await startWithSlack(
      backend,
      { slackAllowedUsers: new Set(['U0ALICE', 'S0HIDDEN', 'S0ONCALL']) },
      { now: () => new Date(clock) },
    );
    // carol is in the on-call group: she acts.
    await fromSlack(s.url, slackClickBody('dr-shop-1', 'carol', { user: { id: 'U0CAROL', username: 'carol' } }));
    expect(acts).toEqual([{ id: 'dr-shop-1', action: 'ack', input: { by: 'slack:carol', reach: { slack: 'U0CAROL' } } }]);
    // bob is in neither: refused, with the group that could not be read and the scope it needs.
    const submitted = await fromSlack(s.url, slackEscalateSubmitBody('dr-shop-1', 'bob', '2', 'need a decision'));
    expect(await submitted.json()).toEqual({
      response_action: 'errors',
      errors: {
        level:
          "only the Slack users in SLACK_ALLOWED_USERS act on incidents from Slack, and you (U0BOB) are not among them; user group S0HIDDEN (Slack usergroups.users.list: missing_scope) could not be read, which needs the Slack app's usergroups:read scope; use the console or pgwarden dr, or ask for your id to be added",
      },
    });
    expect(acts).toHaveLength(1);
    // Within the minute the on-call group was not read again (the unreadable one is asked each time); alice, named, needs no read.
    await fromSlack(s.url, slackClickBody('dr-shop-1', 'alice', { user: { id: 'U0ALICE', username: 'alice' } }));
    expect(slack.reads).toEqual(['S0HIDDEN', 'S0ONCALL', 'S0HIDDEN']);
    clock += 61_000;
    await fromSlack(s.url, slackClickBody('dr-shop-1', 'carol', { user: { id: 'U0CAROL', username: 'carol' } }));
    expect(slack.reads).toEqual(['S0HIDDEN', 'S0ONCALL', 'S0HIDDEN', 'S0HIDDEN', 'S0ONCALL']);
  });

  it("puts the sender on call from Slack (/pgwarden oncall cover), answering the stand-in at the command's response_url; a handover note too", async () => {
    const { backend } = fakeBackend(incident());
    const { slack, s } = await startWithSlack(backend, { slackAllowedUsers: new Set(['U0CAROL', 'U0DAN']) }, { now: () => now });
    const command = async (text: string, user: string) =>
      (
        (await (
          await postAsSlack(
            `${s.url}/slack/commands`,
            new URLSearchParams({
              command: '/pgwarden',
              text,
              user_id: `U0${user.toUpperCase()}`,
              user_name: user,
              trigger_id: '1.1.1',
              response_url: `${slack.url}/commands/T1/1/${user}`,
            }).toString(),
            'slack-secret',
            { atMs: now.getTime() },
          )
        ).json()) as { text: string }
      ).text;
    const answered = async (user: string, count: number) => {
      await waitUntil(() => slack.posted.filter((p) => p.path.endsWith(`/${user}`)).length >= count);
      return slack.posted.filter((p) => p.path.endsWith(`/${user}`)).map((p) => p.body.text);
    };
    const until = new Date(now.getTime() + 8 * 3_600_000).toISOString();

    expect(await command('oncall cover 8h', 'carol')).toBe(
      `Putting you on call until ${until.slice(0, 16).replace('T', ' ')} UTC…`,
    );
    expect(await answered('carol', 1)).toEqual([
      `You are on call as carol@x.io from ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC until ${until.slice(0, 16).replace('T', ' ')} UTC (stand-in s1; to take it back: \`/pgwarden oncall remove s1\`)`,
    ]);
    expect(backend.standIns).toEqual([
      expect.objectContaining({
        matrix: 'default',
        who: 'carol@x.io',
        from: now.toISOString(),
        until,
        setBy: 'slack:carol (U0CAROL)',
      }),
    ]);
    // Refused by the roster (here, a matrix without a rotation): said at the response_url too.
    expect(await command('oncall cover 2h payments', 'carol')).toMatch(/^Putting you on call until /);
    expect((await answered('carol', 2))[1]).toBe(
      'No stand-in was set: matrix "payments" has no on-call rotation (ESCALATION_ONCALL) to stand in for',
    );
    // Slack hides dan's address: nothing set, and why.
    await command('oncall cover 8h', 'dan');
    expect(await answered('dan', 1)).toEqual([
      'Slack gives no e-mail address for you: the Slack app needs the users:read.email scope',
    ]);
    // Refused at once: a time that cannot be read, and someone not allowed to act.
    expect(await command('oncall cover tomorrow', 'carol')).toMatch(
      /^`\/pgwarden oncall cover <until> \[matrix\]`: <until> an ISO time/,
    );
    expect(await command('oncall cover', 'carol')).toMatch(/^`\/pgwarden oncall cover <until>/);
    // Taken back from Slack too; an id nobody set is refused at the response_url.
    expect(await command('oncall remove s1', 'carol')).toBe('Taking stand-in s1 back…');
    expect((await answered('carol', 3))[2]).toBe(
      `Stand-in s1 taken back: carol@x.io is no longer on call from ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC until ${until.slice(0, 16).replace('T', ' ')} UTC`,
    );
    await command('oncall remove s1', 'carol');
    expect((await answered('carol', 4))[3]).toBe(
      'Nothing was taken back: no stand-in s1 is set (pgwarden dr oncall lists them; an ended one is gone by itself)',
    );
    expect(await command('oncall remove', 'carol')).toMatch(/^`\/pgwarden oncall remove <id>`/);
    expect(await command('oncall remove s2', 'bob')).toMatch(/^only the Slack users in SLACK_ALLOWED_USERS/);
    expect(await command('oncall cover 8h', 'bob')).toMatch(
      /^only the Slack users in SLACK_ALLOWED_USERS act on incidents from Slack, and you \(U0BOB\)/,
    );
    expect(backend.standIns).toEqual([]);

    // A note for whoever comes on call next, left and taken back from Slack.
    expect(await command('oncall note migration 42   runs at 02:00 <!channel>', 'carol')).toBe('Leaving the handover note…');
    expect((await answered('carol', 5))[4]).toBe(
      'Handover note left for whoever comes on call next: “migration 42 runs at 02:00 &lt;!channel&gt;” (to take it back: `/pgwarden oncall note clear`)',
    );
    expect(backend.notes.notesLeft()).toEqual([
      { matrix: 'default', text: 'migration 42 runs at 02:00 <!channel>', by: 'carol (Slack)', at: now.toISOString() },
    ]);
    expect(await command('oncall note clear', 'carol')).toBe('Taking the handover note back…');
    expect((await answered('carol', 6))[5]).toBe('Handover note taken back.');
    await command('oncall note clear', 'carol');
    expect((await answered('carol', 7))[6]).toBe('No note was left: no handover note is left in matrix "default"');
    expect(backend.notes.notesLeft()).toEqual([]);
    expect(await command('oncall note', 'carol')).toMatch(/^`\/pgwarden oncall note <text>`: /);
    expect(await command('oncall note hello', 'bob')).toMatch(/^only the Slack users in SLACK_ALLOWED_USERS/);
    // As the backup on call: said so, and kept so.
    expect(await command('oncall cover-backup 2h', 'carol')).toMatch(/^Putting you the backup on call until /);
    expect((await answered('carol', 8))[7]).toMatch(/^You are the backup on call as carol@x\.io from .* \(stand-in s1; /);
    expect(backend.standIns[0]).toMatchObject({ id: 's1', who: 'carol@x.io', backup: true });
    expect(await command('oncall cover-backup soon', 'carol')).toMatch(/^`\/pgwarden oncall cover-backup <until> \[matrix\]`/);
    await command('oncall remove s1', 'carol');
    await answered('carol', 9);
  });

  it("refuses /pgwarden oncall cover without the Slack app's token, which it needs to read the sender's address", async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({ slackSigningSecret: new Secret('slack-secret') }, backend);
    server = s.server;
    const reply = await postAsSlack(
      `${s.url}/slack/commands`,
      new URLSearchParams({ command: '/pgwarden', text: 'oncall cover 8h', user_id: 'U0CAROL', user_name: 'carol' }).toString(),
      'slack-secret',
      { atMs: now.getTime() },
    );
    expect(((await reply.json()) as { text: string }).text).toMatch(
      /^a stand-in set from Slack is put on call under your e-mail address, .*set SLACK_BOT_TOKEN \(with the users:read\.email scope\)/,
    );
    expect(backend.standIns).toEqual([]);
  });

  it('says on the board who is on call now, and until when', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    expect(await (await fetch(`${s.url}/`, { headers })).text()).not.toContain('On call now');
    backend.setOnCall([{ matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z' }]);
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toContain(
      '<p>On call now: <strong>bob@x.io</strong> until 2026-12-07 09:00 UTC</p>',
    );
    backend.setOnCall([{ matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z', next: 'alice@x.io' }]);
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toContain(
      '<p>On call now: <strong>bob@x.io</strong> until 2026-12-07 09:00 UTC, then alice@x.io</p>',
    );
    // A handover note left: the board links to the On call page, which shows it.
    backend.setOnCall([
      {
        matrix: 'default',
        who: 'bob@x.io',
        until: '2026-12-07T09:00:00.000Z',
        next: 'alice@x.io',
        note: { text: 'db2', by: 'bob <b>' },
      },
    ]);
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toContain(
      '<p>On call now: <strong>bob@x.io</strong> until 2026-12-07 09:00 UTC, then alice@x.io (<a href="/oncall">a handover note from bob &lt;b&gt;</a>)</p>',
    );
    backend.setOnCall([
      { matrix: 'default', who: 'bob@x.io', until: '2026-12-07T09:00:00.000Z' },
      { matrix: 'payments', who: 'pat@x.io', until: '2026-12-01T09:00:00.000Z' },
    ]);
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toContain(
      'On call now: <strong>bob@x.io</strong> until 2026-12-07 09:00 UTC (default); <strong>pat@x.io</strong> until 2026-12-01 09:00 UTC (payments)',
    );
    // The console's backend reads it from the configured rotation and the roster's stand-ins.
    const config = loadConfig({
      DATABASE_URL: 'postgres://u:p@h/shop',
      ESCALATION_ONCALL: 'alice@x.io,bob@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
    });
    // Its stand-ins query answers `answer`, its handover notes query `notes`; visibility lists `closed`.
    const roster = (answer: () => Promise<StandIn[]>, notes: HandoverNote[] = [], closed: () => unknown[] = () => []) =>
      ({
        withDeadline: (_: number, fn: () => unknown) => fn(),
        workflow: {
          getHandle: () => ({
            query: (q: { name: string }) => (q.name === 'handoverNotes' ? Promise.resolve(notes) : answer()),
          }),
          list: async function* () {
            yield* closed();
          },
        },
      }) as unknown as Client;
    const at = new Date('2026-12-15T00:00:00Z');
    // No roster started: the rotation as configured.
    const none = roster(() => Promise.reject(new WorkflowNotFoundError('not found', 'pgwarden-oncall-pgwarden', undefined)));
    expect(await temporalBackend(none, config).onCall(at)).toEqual([
      { matrix: 'default', who: 'bob@x.io', until: '2026-12-21T09:00:00.000Z', next: 'alice@x.io' },
    ]);
    // Carol stands in for Bob tonight.
    const carol: StandIn = {
      id: 's1',
      matrix: 'default',
      who: 'carol@x.io',
      from: '2026-12-14T18:00:00.000Z',
      until: '2026-12-15T08:00:00.000Z',
      setBy: 'pgwarden bob@laptop pid 7',
      setAt: '2026-12-14T17:00:00.000Z',
    };
    expect(
      await temporalBackend(
        roster(async () => [carol]),
        config,
      ).onCall(at),
    ).toEqual([{ matrix: 'default', who: 'carol@x.io', until: '2026-12-15T08:00:00.000Z', next: 'bob@x.io' }]);
    // The on-call page's view: her shift between Bob's two, and her stand-in.
    expect(
      await temporalBackend(
        roster(async () => [carol]),
        config,
      ).roster(at, 3),
    ).toEqual({
      rotations: [
        {
          matrix: 'default',
          shifts: [
            { who: 'carol@x.io', from: '2026-12-14T18:00:00.000Z', until: '2026-12-15T08:00:00.000Z' },
            { who: 'bob@x.io', from: '2026-12-15T08:00:00.000Z', until: '2026-12-21T09:00:00.000Z' },
            { who: 'alice@x.io', from: '2026-12-21T09:00:00.000Z', until: '2026-12-28T09:00:00.000Z' },
          ],
          standIns: [carol],
        },
      ],
    });
    // With the note Bob left for whoever comes next: the page's view carries it.
    const note: HandoverNote = { matrix: 'default', text: 'db2 disk at 80%', by: 'bob', at: '2026-12-14T17:30:00.000Z' };
    expect(
      (
        await temporalBackend(
          roster(async () => [carol], [note]),
          config,
        ).roster(at, 3)
      ).rotations[0].note,
    ).toEqual(note);
    expect(
      await temporalBackend(
        roster(async () => [carol], [note]),
        config,
      ).onCall(at),
    ).toEqual([expect.objectContaining({ who: 'carol@x.io', next: 'bob@x.io', note: { text: 'db2 disk at 80%', by: 'bob' } })]);
    // The page asks for the shift so far: Carol's, since she took over (a backup stored then, one before it is Bob's).
    const backupAt = (closed: string) => ({
      type: 'BackupWorkflow',
      workflowId: `backup-shop-${closed}`,
      status: { name: 'COMPLETED' },
      closeTime: new Date(closed),
      typedSearchAttributes: { get: () => undefined },
    });
    const reviewed = await temporalBackend(
      roster(
        async () => [carol],
        [],
        () => [backupAt('2026-12-14T20:00:00Z'), backupAt('2026-12-14T10:00:00Z')],
      ),
      config,
    ).roster(at, 3, { review: true });
    expect(reviewed.rotations[0].review).toEqual({ since: carol.from, backupsStored: 1, failed: [], incidents: [] });
    // Visibility unread: no review, and the rest of the page's view stands.
    const blind = await temporalBackend(
      roster(
        async () => [carol],
        [],
        () => {
          throw new Error('visibility unavailable');
        },
      ),
      config,
    ).roster(at, 3, { review: true });
    expect(blind.rotations[0]).toMatchObject({ review: null, standIns: [carol] });
    // With a backup on call: whoever is on call after Carol's stand-in, Bob; on the page's view and the board's.
    const backed = loadConfig({
      DATABASE_URL: 'postgres://u:p@h/shop',
      ESCALATION_ONCALL: 'alice@x.io,bob@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
    });
    const backedUp = temporalBackend(
      roster(async () => [carol]),
      backed,
    );
    expect((await backedUp.roster(at, 3)).rotations[0].backup).toEqual({ who: 'bob@x.io', afterMinutes: 15 });
    // A backup rotation of its own: each shift's backup is its turn in it.
    const ownConfig = loadConfig({
      DATABASE_URL: 'postgres://u:p@h/shop',
      ESCALATION_ONCALL: 'alice@x.io,bob@x.io',
      ESCALATION_ONCALL_FROM: '2026-12-07T09:00:00Z',
      ESCALATION_ONCALL_BACKUP_AFTER_MINUTES: '15',
      ESCALATION_ONCALL_BACKUP: 'dan@x.io,eve@x.io',
    });
    const ownBackups = temporalBackend(
      roster(async () => []),
      ownConfig,
    );
    const own = (await ownBackups.roster(at, 3)).rotations[0];
    expect(own.shifts.map((s) => [s.who, s.backup])).toEqual([
      ['bob@x.io', 'eve@x.io'],
      ['alice@x.io', 'dan@x.io'],
      ['bob@x.io', 'eve@x.io'],
    ]);
    expect(own.backup).toEqual({ who: 'eve@x.io', afterMinutes: 15 });
    // Frank standing in as the backup from Wednesday to Thursday of Bob's week: its stretches.
    const frank = {
      ...carol,
      who: 'frank@x.io',
      backup: true as const,
      from: '2026-12-16T00:00:00.000Z',
      until: '2026-12-17T00:00:00.000Z',
    };
    const stretched = (
      await temporalBackend(
        roster(async () => [frank]),
        ownConfig,
      ).roster(at, 2)
    ).rotations[0];
    expect(stretched.shifts[0].backups).toEqual([
      { backup: 'eve@x.io', from: '2026-12-14T09:00:00.000Z', until: '2026-12-16T00:00:00.000Z' },
      { backup: 'frank@x.io', from: '2026-12-16T00:00:00.000Z', until: '2026-12-17T00:00:00.000Z' },
      { backup: 'eve@x.io', from: '2026-12-17T00:00:00.000Z', until: '2026-12-21T09:00:00.000Z' },
    ]);
    expect(stretched.shifts[1]).not.toHaveProperty('backups');
    expect(stretched.standIns).toEqual([frank]);
    expect(await backedUp.onCall(at)).toEqual([
      expect.objectContaining({ who: 'carol@x.io', backup: { who: 'bob@x.io', afterMinutes: 15 } }),
    ]);
    expect(
      (
        await temporalBackend(
          roster(async () => [carol]),
          config,
        ).roster(at, 3)
      ).rotations[0],
    ).not.toHaveProperty('backup');
    // A roster nobody answers for: the rotation as configured, and said so on the board.
    const silent = roster(() => Promise.reject(new Error('deadline exceeded')));
    const unread = await temporalBackend(silent, config).onCall(at);
    expect(unread).toEqual([expect.objectContaining({ who: 'bob@x.io', unread: expect.stringMatching(/could not be read/) })]);
    backend.setOnCall(unread);
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toMatch(
      /<p class="error" role="alert">As configured: the stand-ins set at run time could not be read \(deadline exceeded\): is a worker running/,
    );
  });

  it('says who hears next and when, on the board and the incident page', async () => {
    const base = incident();
    const { backend, acts } = fakeBackend({
      ...base,
      matrix,
      escalation: { ...base.escalation, sent: [1], next: { level: 2, at: '2026-11-30T11:00:00Z' } },
    });
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const next = 'level 2 (manager) → manager@x.io at 11:00 UTC (in 30 min)';
    expect(await (await fetch(`${s.url}/`, { headers })).text()).toContain(`next: ${next}`);
    const page = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(page).toContain(`next: ${next}`);
    expect(page).not.toContain('the backup');
    // With a backup on call not yet alerted: when they will be, unless someone acknowledges first.
    const withBackup = { ...base, matrix: { ...matrix, onCallBackup: { who: 'bob@x.io', afterMinutes: 15 } } };
    backend.set(withBackup);
    const opened = Date.parse(base.openedAt);
    const due = new Date(opened + 15 * 60_000).toISOString().slice(11, 16);
    expect(await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text()).toContain(
      `; the backup bob@x.io at ${new Date(opened).toISOString().slice(0, 10)} ${due} UTC unless acknowledged`,
    );
    backend.set({
      ...withBackup,
      escalation: { ...base.escalation, sent: [1], backupAlertedAt: new Date(opened + 15 * 60_000).toISOString() },
    });
    const alerted = await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text();
    expect(alerted).toContain('level 1 (DevOps team), and the backup on call bob@x.io');
    expect(alerted).not.toContain('unless acknowledged');
    backend.set({
      ...base,
      matrix,
      escalation: { ...base.escalation, sent: [1], next: { level: 2, at: '2026-11-30T11:00:00Z' } },
    });
    // Escalating now: the levels not yet alerted, with who hears; level 3 names the manager too.
    expect(formsOn(page)).toEqual(['ack', 'assess', 'skip', 'note', 'escalate', 'responder', 'abort']);
    expect(page).toContain('<input type="radio" name="level" value="2" checked> level 2: manager (manager@x.io)</label>');
    expect(page).toContain('<input type="radio" name="level" value="3"> level 3: executive (exec@x.io), and the manager</label>');
    const posted = await fetch(`${s.url}/incidents/dr-shop-1/escalate`, {
      ...form({ level: '3', reason: 'restore failed twice', csrf: csrfToken('alice', SECRET) }),
      headers: { ...form({}).headers, ...headers },
    });
    expect(posted.headers.get('location')).toBe('/incidents/dr-shop-1?done=escalate');
    expect(acts.at(-1)).toEqual({
      id: 'dr-shop-1',
      action: 'escalate',
      input: { by: 'alice', level: 3, reason: 'restore failed twice' },
    });
    // Once both were alerted, or in a drill that alerts level 1 only, there is nothing to escalate to.
    backend.set({ ...base, matrix, escalation: { ...base.escalation, sent: [1, 2, 3], level: 3, next: null } });
    expect(await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text()).not.toContain('data-action="escalate"');
    backend.set({ ...base, matrix, escalation: { ...base.escalation, sent: [1], levelOneOnly: true } });
    expect(await (await fetch(`${s.url}/incidents/dr-shop-1`, { headers })).text()).not.toContain('data-action="escalate"');
  });

  it('names the open incidents no worker answers for, and says so on their page instead of hanging', async () => {
    const { backend } = fakeBackend(incident(), [{ incidentId: 'dr-shop-0', database: 'shop', severity: 'SEV1' }]);
    backend.incident = async () => {
      throw new NoWorkerError(
        'no worker answered for dr-shop-0 within 5 s, so its state cannot be shown; start one (pgwarden worker)',
      );
    };
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const board = await (await fetch(`${s.url}/`, { headers })).text();
    expect(board).toContain('No worker answers for this open incident: <code>dr-shop-0</code> (SEV1, shop)');
    const page = await fetch(`${s.url}/incidents/dr-shop-0`, { headers });
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('no worker answered for dr-shop-0 within 5 s');
  });

  it('lists the shifts and stand-ins on the on-call page, sets a stand-in as the person logged in, takes one back, and leaves a handover note', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({}, backend);
    server = s.server;
    const headers = { cookie: `pgwarden_session=${signSession({ user: 'alice', exp: now.getTime() + 60_000 }, SECRET)}` };
    const csrf = csrfToken('alice', SECRET);
    const post = (path: string, fields: Record<string, string>) =>
      fetch(`${s.url}${path}`, { ...form(fields), headers: { ...form(fields).headers, ...headers } });
    const page = async (query = '') => (await fetch(`${s.url}/oncall${query}`, { headers })).text();

    const first = await page();
    expect(first).toContain('<a href="/oncall">on call</a>');
    expect(first).toContain(
      '<tr><td><strong>now</strong></td><td>bob@x.io</td><td>2026-11-30 09:00 UTC</td><td>2026-12-07 09:00 UTC</td></tr>',
    );
    expect(first).toContain('<tr><td>then</td><td>alice@x.io</td>');
    expect(first).not.toContain('data-backup');
    // Bob's week so far, as his handover will sum it up (escaped), before the note he may leave about it.
    expect(first).toContain('<h3>This shift so far</h3>');
    expect(first).toContain(
      '<tr><th>So far</th><td>since 2026-11-30 09:00 UTC: 6 backups stored, 2 runs failed</td></tr><tr><th>Failed</th><td>verify of shop 2x, the last 2026-12-02 03:00 UTC (verify-shop-&lt;1&gt;): a later run succeeded</td></tr>',
    );
    expect(first.indexOf('This shift so far')).toBeLessThan(first.indexOf('Note for whoever comes on call next'));
    expect(backend.reviewsAsked).toBe(1);
    // Visibility unread: said, and the rest of the page stands.
    backend.review = null;
    const unreviewed = await page();
    expect(unreviewed).toContain(`<p class="error">Not reviewed: Temporal's visibility could not be read.</p>`);
    expect(unreviewed).toContain('<tr><td>then</td><td>alice@x.io</td>');
    expect(first).not.toContain('<th>backup</th>');
    backend.backup = { who: 'alice@x.io', afterMinutes: 15 };
    const backedPage = await page();
    expect(backedPage).toContain(
      '<p data-backup>An incident opened now alerts bob@x.io first, and the backup alice@x.io if nobody acknowledges within 15 min.</p>',
    );
    // Each shift's backup in a column of its own.
    expect(backedPage).toContain('<th>on call</th><th>backup</th><th>from</th>');
    expect(backedPage).toContain(
      '<tr><td><strong>now</strong></td><td>bob@x.io</td><td data-backup-of-shift>alice@x.io</td><td>2026-11-30 09:00 UTC</td>',
    );
    expect(backedPage).toContain('<tr><td>then</td><td>alice@x.io</td><td data-backup-of-shift>bob@x.io</td>');
    // Someone standing in as the backup within a shift: each stretch said.
    backend.stretches = [
      { backup: 'alice@x.io', from: '2026-11-30T09:00:00.000Z', until: '2026-12-02T09:00:00.000Z' },
      { backup: 'dan@x.io', from: '2026-12-02T09:00:00.000Z', until: '2026-12-07T09:00:00.000Z' },
    ];
    expect(await page()).toContain('<td data-backup-of-shift>alice@x.io until 2026-12-02 09:00 UTC, then dan@x.io</td>');
    backend.stretches = undefined;
    // Someone may stand in as the backup: the form asks whether, only where a backup is asked for.
    expect(backedPage).toContain('<input type="checkbox" name="backup" value="1"> as the backup on call');
    expect(first).not.toContain('name="backup"');
    backend.backup = undefined;
    // Alice's login is no address: the form leaves it to her.
    expect(first).toContain('<input type="text" name="who" required value=""');
    expect(first).not.toContain('Stand-ins set at run time');

    // Refused before the roster is asked, and by the roster; a post without the token is stale.
    expect((await post('/oncall', { who: 'carol@x.io', until: '8h' })).status).toBe(403);
    const unread = await post('/oncall', { csrf, who: 'carol@x.io', until: 'tomorrow' });
    expect(unread.status).toBe(400);
    expect(await unread.text()).toContain(
      'until &quot;tomorrow&quot;: an ISO time with its zone (2026-12-08T08:00:00Z), or from the start (30m, 8h, 2d)',
    );
    const noUntil = await post('/oncall', { csrf, who: 'carol@x.io', until: '' });
    expect(await noUntil.text()).toContain('until is required: when the stand-in ends, e.g. 8h or 2026-12-08T08:00:00Z');
    const refused = await post('/oncall', { csrf, matrix: 'payments', who: 'carol@x.io', until: '8h' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('matrix &quot;payments&quot; has no on-call rotation');
    expect(backend.standIns).toEqual([]);

    const set = await post('/oncall', { csrf, matrix: 'default', who: ' carol@x.io ', from: 'now', until: '8h' });
    expect(set.status).toBe(303);
    expect(set.headers.get('location')).toBe('/oncall?done=set&id=s1');
    expect(backend.standIns).toEqual([
      {
        id: 's1',
        matrix: 'default',
        who: 'carol@x.io',
        from: now.toISOString(),
        until: new Date(now.getTime() + 8 * 3_600_000).toISOString(),
        setBy: 'console:alice',
        setAt: now.toISOString(),
      },
    ]);
    const after = await page('?done=set&id=s1');
    expect(after).toContain('Stand-in s1 set: they and whoever the rotation has on call are told by e-mail.');
    expect(after).toMatch(/<tr data-stand-in="s1"><td><code>s1<\/code><\/td><td>carol@x\.io<\/td>.*console:alice/);
    expect(after).toContain('<input type="hidden" name="id" value="s1"><button type="submit">take back</button>');
    // Only an id is echoed back.
    expect(await page('?done=set&id=%3Cscript%3E')).not.toContain('role="status"');

    // As the backup: said in the list.
    const asBackup = await post('/oncall', { csrf, who: 'dan@x.io', until: '2h', backup: '1' });
    expect(asBackup.headers.get('location')).toBe('/oncall?done=set&id=s2');
    expect(backend.standIns[1]).toMatchObject({ id: 's2', who: 'dan@x.io', backup: true });
    expect(backend.standIns[0]).not.toHaveProperty('backup');
    const both = await page();
    expect(both).toContain('<th>who</th><th>as</th><th>from</th>');
    expect(both).toMatch(/<tr data-stand-in="s1"><td><code>s1<\/code><\/td><td>carol@x\.io<\/td><td>on call<\/td>/);
    expect(both).toMatch(/<tr data-stand-in="s2"><td><code>s2<\/code><\/td><td>dan@x\.io<\/td><td>the backup<\/td>/);
    await post('/oncall/remove', { csrf, id: 's2' });

    const gone = await post('/oncall/remove', { csrf, id: 's1' });
    expect(gone.headers.get('location')).toBe('/oncall?done=removed&id=s1');
    expect(backend.standIns).toEqual([]);
    expect(await page('?done=removed&id=s1')).toContain('Stand-in s1 taken back: the rotation holds again.');
    const twice = await post('/oncall/remove', { csrf, id: 's1' });
    expect(twice.status).toBe(400);
    expect(await twice.text()).toContain('no stand-in s1 is set');

    // The shifts as a calendar file, linked from the page; an unknown rotation is not found.
    expect(first).toContain('<a href="/oncall.ics?matrix=default" download>');
    const ics = await fetch(`${s.url}/oncall.ics?matrix=default`, { headers });
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(ics.headers.get('content-disposition')).toBe('attachment; filename="pgwarden-oncall-default.ics"');
    const calendar = await ics.text();
    expect(calendar.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(calendar.match(/^SUMMARY:.*$/gm)).toEqual(['SUMMARY:On call: bob@x.io', 'SUMMARY:On call: alice@x.io']);
    expect((await fetch(`${s.url}/oncall.ics?matrix=nope`, { headers })).status).toBe(404);
    // One person's calendar, from the page's form: their shifts alone, the file named for them.
    expect(first).toContain('<form method="get" action="/oncall.ics" data-action="calendar-for">');
    const alices = await fetch(`${s.url}/oncall.ics?matrix=default&who=${encodeURIComponent(' alice@x.io ')}`, { headers });
    expect(alices.status).toBe(200);
    expect(alices.headers.get('content-disposition')).toBe('attachment; filename="pgwarden-oncall-default-alice@x.io.ics"');
    expect((await alices.text()).match(/^SUMMARY:.*$/gm)).toEqual(['SUMMARY:On call: alice@x.io']);
    // An address with no shift is said, not an empty calendar; what it echoes is escaped.
    const nobody = await fetch(`${s.url}/oncall.ics?matrix=default&who=${encodeURIComponent('<b>x</b>@x.io')}`, { headers });
    expect(nobody.status).toBe(404);
    expect(await nobody.text()).toContain(
      '&lt;b&gt;x&lt;/b&gt;@x.io has no shift, on call or as the backup, in the next 26 shifts of "default".',
    );
    // The calendar file needs no review: visibility is not read for it.
    const asked = backend.reviewsAsked;
    await fetch(`${s.url}/oncall.ics?matrix=default`, { headers });
    expect(backend.reviewsAsked).toBe(asked);
    expect((await fetch(`${s.url}/oncall.ics`, { redirect: 'manual' })).status).toBe(303); // nobody logged in

    // A note for whoever comes on call next: left as the person logged in, shown, replaced, taken back.
    expect(first).toContain('<h3>Note for whoever comes on call next</h3>');
    expect(first).toContain('Told once to alice@x.io at the handover (2026-12-07 09:00 UTC), or with a stand-in set from now.');
    expect(first).not.toContain('data-note');
    expect((await post('/oncall/note', { matrix: 'default', text: 'x' })).status).toBe(403);
    const empty = await post('/oncall/note', { csrf, matrix: 'default', text: '  ' });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('the note needs its text');
    const nothingLeft = await post('/oncall/note', { csrf, matrix: 'default', clear: '1' });
    expect(await nothingLeft.text()).toContain('no handover note is left in matrix &quot;default&quot;');
    const noteLeft = await post('/oncall/note', { csrf, matrix: 'default', text: 'migration 42 at 02:00 <b>' });
    expect(noteLeft.status).toBe(303);
    expect(noteLeft.headers.get('location')).toBe('/oncall?done=note');
    expect(backend.notes.notesLeft()).toEqual([
      { matrix: 'default', text: 'migration 42 at 02:00 <b>', by: 'alice (console)', at: now.toISOString() },
    ]);
    const withNote = await page('?done=note');
    expect(withNote).toContain('Handover note left: it is told to whoever comes on call next.');
    expect(withNote).toContain(
      '<p class="handover-note" data-note>&ldquo;migration 42 at 02:00 &lt;b&gt;&rdquo; <small>left by alice (console), 2026-11-30 10:30 UTC</small></p>',
    );
    expect(withNote).toContain('<button type="submit">replace the note</button>');
    const cleared = await post('/oncall/note', { csrf, matrix: 'default', clear: '1' });
    expect(cleared.headers.get('location')).toBe('/oncall?done=note-cleared');
    expect(backend.notes.notesLeft()).toEqual([]);
    expect(await page('?done=note-cleared')).toContain('Handover note taken back.');

    // Behind a proxy whose user is an address, the form offers it.
    const proxied = await start({ trustedUserHeader: 'x-forwarded-user', operators: new Map() }, backend);
    closeAfter.push(proxied.server);
    const hers = await (await fetch(`${proxied.url}/oncall`, { headers: { 'X-Forwarded-User': 'carol@example.com' } })).text();
    expect(hers).toContain('<input type="text" name="who" required value="carol@example.com"');
  });

  it('behind a trusted proxy takes its user header, and without it refuses', async () => {
    const { backend } = fakeBackend(incident());
    const s = await start({ trustedUserHeader: 'x-forwarded-user', operators: new Map() }, backend);
    server = s.server;
    expect((await fetch(`${s.url}/`)).status).toBe(401);
    const board = await fetch(`${s.url}/`, { headers: { 'X-Forwarded-User': 'carol@example.com' } });
    expect(board.status).toBe(200);
    expect(await board.text()).toContain('carol@example.com');
  });
});

describe('the selection form as the Update it sends', () => {
  const blank = { backupId: '', newDatabase: '', to: '', toName: '', tables: '' };
  it.each([
    ['nothing chosen: the proposal', {}, { by: 'alice' }],
    [
      'a backup into a new database',
      { backupId: 'backup_20261130_020000', newDatabase: 'shop_x' },
      { by: 'alice', backupId: 'backup_20261130_020000', newDatabase: 'shop_x' },
    ],
    ['a time', { to: ' latest ' }, { by: 'alice', to: 'latest' }],
    ['a restore point', { toName: 'before-migration-42' }, { by: 'alice', toName: 'before-migration-42' }],
    [
      'tables as of a restore point, replaced',
      { toName: 'before-migration-42', tables: 'shop.orders, shop.payments', replace: 'yes' },
      { by: 'alice', toName: 'before-migration-42', tables: ['shop.orders', 'shop.payments'], replace: true },
    ],
  ])('%s', (_, fields, input) => {
    expect(actionInput('select', { ...blank, ...fields }, 'alice')).toEqual(input);
  });
});
