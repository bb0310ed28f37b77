/**
 * The console's pages as plain functions of what they show: HTML with every value escaped,
 * forms that post to the console with the session's CSRF token, and one small script of the
 * console's own (live.js) that reloads a page when what it shows changed, unless someone is
 * typing in it. A step's form appears only while the incident waits for it.
 */
import type { IncidentState } from '../../operations/dr/incident';
import { leaderOf, STEP_TITLES } from '../../operations/dr/incident';
import {
  alertedWords,
  backupDue,
  describeSelection,
  minuteUtc,
  nextEscalation,
  respondersWords,
} from '../../operations/dr/details';
import { describeRecovery } from '../../operations/dr/recovery';
import { escalationChoice, levelsOpenToEscalate } from '../../operations/dr/escalation';
import { describeTarget } from '../../operations/pitr/target';
import { formatBytes } from '../../operations/backup/progress';
import type { CatalogEntry } from '../../operations/catalog/catalog';
import type { RecoveryOptions } from '../../../workflows/list-backups';
import type { OnCallNow } from '../../operations/dr/on-call';

export const escapeHtml = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2430}header{background:#1d2430;color:#fff;padding:10px 20px;display:flex;gap:20px;align-items:center}
header a{color:#fff}main{padding:16px 20px;max-width:1100px}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde2ea;padding:6px 8px;text-align:left;vertical-align:top}
.sev{font-weight:700}.sev-SEV1{color:#b00020}.sev-DRILL{color:#5b5bd6}.error{background:#fde8ea;border:1px solid #b00020;padding:8px 12px;margin:10px 0}
.ok{background:#e6f4ea;border:1px solid #1e7e34;padding:8px 12px;margin:10px 0}form.action{border:1px solid #dde2ea;padding:10px 12px;margin:10px 0}
label{display:block;margin:6px 0}input[type=text],input[type=password]{width:28em}code{background:#f1f3f6;padding:1px 4px}`;

/** `live`: the page's state version and where to ask for the current one (live.js polls it). */
export function layout(title: string, body: string, o: { user?: string; live?: { url: string; version: string } } = {}): string {
  const live = o.live ? ` data-live="${escapeHtml(o.live.url)}" data-version="${escapeHtml(o.live.version)}"` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · pgwarden</title>
${o.live ? `<noscript><meta http-equiv="refresh" content="30"></noscript><script src="/live.js" defer></script>` : ''}<style>${STYLE}</style></head>
<body${live}><header><strong>pgwarden</strong><a href="/">incidents</a>${o.user ? '<a href="/oncall">on call</a><a href="/backups">backups</a>' : ''}<span style="flex:1"></span>${
    o.user
      ? `<span>${escapeHtml(o.user)}</span><form method="post" action="/logout" style="margin:0"><button>log out</button></form>`
      : ''
  }</header><main>${body}</main></body></html>`;
}

export function loginPage(o: { error?: string; next?: string } = {}): string {
  return layout(
    'log in',
    `<h1>Log in</h1>${o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="/login"><input type="hidden" name="next" value="${escapeHtml(o.next ?? '/')}">
<label>Name <input type="text" name="user" autocomplete="username" required></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">log in</button></form>`,
  );
}

const clock = (iso: string | null | undefined) => (iso ? minuteUtc(iso) : '–');
const age = (from: string, now: Date) => {
  const m = Math.max(0, Math.round((now.getTime() - Date.parse(from)) / 60_000));
  return m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`;
};

/**
 * The script live.js: every 3 s it asks whether what the page shows changed; if so it reloads,
 * or, while someone is typing in a form, says so instead of throwing their text away.
 */
export const LIVE_SCRIPT = `(() => {
  const body = document.body;
  if (!body.dataset.live) return;
  let typing = false;
  document.addEventListener('input', () => { typing = true; });
  const poll = async () => {
    try {
      const res = await fetch(body.dataset.live, { cache: 'no-store', credentials: 'same-origin' });
      const version = res.ok ? (await res.text()).trim() : '';
      if (version && version !== body.dataset.version) {
        if (!typing) return location.reload();
        const note = document.getElementById('stale') || document.createElement('p');
        note.id = 'stale';
        note.className = 'error';
        note.setAttribute('role', 'status');
        note.textContent = 'This incident changed since the page was loaded: send your form, or reload to see what changed.';
        document.querySelector('main').prepend(note);
        return;
      }
    } catch (err) { /* the console is restarting or the network blinked: ask again */ }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 3000);
})();
`;

const SEVERITY_CHOICES = ['SEV1', 'SEV2', 'SEV3'];

/** The board's form to open an incident (the CLI's pgwarden dr start). */
function openForm(databases: string[], csrf: string): string {
  return `<form class="action" method="post" action="/incidents" data-action="open"><h3>Open an incident</h3>
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
<label>Database <select name="database" required>${databases.map((d) => `<option>${escapeHtml(d)}</option>`).join('')}</select></label>
<label>What failed <input type="text" name="summary" required placeholder="orders database corrupted"></label>
<label>Severity <select name="severity">${SEVERITY_CHOICES.map((s) => `<option>${s}</option>`).join('')}</select></label>
<label>Failure at (UTC, empty: now) <input type="text" name="failureTime" placeholder="2026-11-24T02:15:00Z"></label>
<button type="submit">open the incident and alert level 1</button></form>`;
}

/** Open incidents: severity, database, step, who acknowledged, age, escalation reached and next. */
export function boardPage(
  incidents: IncidentState[],
  now: Date,
  user: string,
  o: {
    databases: string[];
    csrf: string;
    version: string;
    error?: string;
    unanswered?: Array<{ incidentId: string; database: string; severity: string }>;
    /** Who an incident opened now alerts first, per matrix with a rotation. */
    onCall?: OnCallNow[];
  } = { databases: [], csrf: '', version: '' },
): string {
  const rows = incidents.map(
    (
      s,
    ) => `<tr data-incident="${escapeHtml(s.incidentId)}"><td class="sev sev-${escapeHtml(s.severity)}">${escapeHtml(s.severity)}</td>
<td><a href="/incidents/${encodeURIComponent(s.incidentId)}">${escapeHtml(s.summary)}</a><br><small>${escapeHtml(s.incidentId)}</small></td>
<td>${escapeHtml(s.database)}</td><td>${escapeHtml(STEP_TITLES[s.step])} (${escapeHtml(s.stepStatus)})</td>
<td>${s.escalation.acknowledgedBy ? escapeHtml(s.escalation.acknowledgedBy) : '<strong>not acknowledged</strong>'}</td>
<td>${age(s.openedAt, now)}</td><td>${escapeHtml(alertedWords(s))}${
      s.escalation.next ? `<br><small>next: ${escapeHtml(nextEscalation(s, now))}</small>` : ''
    }</td></tr>`,
  );
  return layout(
    'incidents',
    `<h1>Open incidents</h1>${
      rows.length
        ? `<table><thead><tr><th>severity</th><th>incident</th><th>database</th><th>step</th><th>acknowledged</th><th>open for</th><th>escalation</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
        : o.unanswered?.length
          ? ''
          : '<p>No open incident.</p>'
    }${
      o.unanswered?.length
        ? `<p class="error" role="alert">No worker answers for ${o.unanswered.length === 1 ? 'this open incident' : 'these open incidents'}: ${o.unanswered
            .map((u) => `<code>${escapeHtml(u.incidentId)}</code> (${escapeHtml(u.severity)}, ${escapeHtml(u.database)})`)
            .join(', ')}. Their escalation timers wait for a worker: start one (pgwarden worker).</p>`
        : ''
    }${
      o.onCall?.length
        ? `<p>On call now: ${o.onCall
            .map(
              (c) =>
                `<strong>${escapeHtml(c.who)}</strong> until ${clock(c.until)}${c.next ? `, then ${escapeHtml(c.next)}` : ''}${o.onCall!.length > 1 ? ` (${escapeHtml(c.matrix)})` : ''}${c.note ? ` (<a href="/oncall">a handover note from ${escapeHtml(c.note.by)}</a>)` : ''}`,
            )
            .join(
              '; ',
            )}</p>${o.onCall[0].unread ? `<p class="error" role="alert">As configured: ${escapeHtml(o.onCall[0].unread)}</p>` : ''}`
        : ''
    }<p><small>Updated ${clock(now.toISOString())}; this page follows the incidents by itself.</small></p>
${o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ''}${o.databases.length ? openForm(o.databases, o.csrf) : ''}`,
    { user, live: { url: '/live?of=board', version: o.version } },
  );
}

export type ConsoleAction =
  'ack' | 'assess' | 'select' | 'approve' | 'resume' | 'retry' | 'skip' | 'abort' | 'note' | 'escalate' | 'responder';

/** The recoverable window, or why there is none. */
const describeWindow = (w: RecoveryOptions['window']) =>
  'unavailable' in w ? `no point in time: ${w.unavailable}` : `any second from ${clock(w.from)} to ${clock(w.to)}`;

/** The backups to choose from in the selection step: one radio each, the proposal by default. */
function backupChoices(backups: CatalogEntry[]): string {
  if (!backups.length) return '<p>No backup of this database is stored.</p>';
  const rows = backups
    .slice(0, 20)
    .map(
      (b) =>
        `<tr><td><label><input type="radio" name="backupId" value="${escapeHtml(b.backupId)}"> <code>${escapeHtml(b.backupId)}</code></label></td><td>${clock(b.takenAt)}</td><td>${escapeHtml(formatBytes(b.storedBytes))}</td><td>${escapeHtml(verifiedText(b))}</td><td>${escapeHtml(b.storageClass)}</td></tr>`,
    );
  return `<table class="backups"><thead><tr><th><label><input type="radio" name="backupId" value="" checked> the proposal</label></th><th>taken</th><th>size</th><th>verified</th><th>class</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const verifiedText = (b: CatalogEntry) =>
  b.verification.status === 'never'
    ? 'not yet'
    : `${b.verification.status} ${clock(b.verification.at)}${b.verification.failures.length ? `: ${b.verification.failures.join('; ')}` : ''}`;

/** The forms for what the incident waits for now, each posting to /incidents/<id>/<action>. */
function actionForms(s: IncidentState, csrf: string, user: string, options?: RecoveryOptions | null): string {
  if (s.status !== 'open') return '';
  const form = (action: ConsoleAction, title: string, fields: string, button = title) =>
    `<form class="action" method="post" action="/incidents/${encodeURIComponent(s.incidentId)}/${action}" data-action="${action}">
<h3>${escapeHtml(title)}</h3><input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${fields}<button type="submit">${escapeHtml(button)}</button></form>`;
  const text = (name: string, label: string, o: { required?: boolean; placeholder?: string } = {}) =>
    `<label>${escapeHtml(label)} <input type="text" name="${name}"${o.required ? ' required' : ''}${o.placeholder ? ` placeholder="${escapeHtml(o.placeholder)}"` : ''}></label>`;
  const out: string[] = [];
  if (!s.escalation.acknowledgedBy) out.push(form('ack', 'Acknowledge', '', 'acknowledge'));
  else if (leaderOf(s.escalation) !== user)
    out.push(form('ack', 'Take the lead over', '<input type="hidden" name="takeOver" value="yes">', 'take over'));
  const waiting = s.stepStatus === 'waiting';
  if (waiting && s.step === 'assess')
    out.push(
      form(
        'assess',
        '2. Assess impact',
        text('scope', 'What data is lost or at risk', { required: true, placeholder: 'orders since 02:00' }) +
          `<fieldset><legend>Do customers see the outage?</legend><label><input type="radio" name="customerImpact" value="yes" required> yes (level 4: customer notification)</label><label><input type="radio" name="customerImpact" value="no"> no</label></fieldset>` +
          text('notes', 'Notes'),
        'record the assessment',
      ),
    );
  const failedRestore = s.step === 'restore' && s.stepStatus === 'failed';
  if ((waiting && s.step === 'select') || failedRestore) {
    const proposal = [
      s.pointInTime
        ? `<li>the point in time <code>${escapeHtml(describeTarget(s.pointInTime.target))}</code>: ${escapeHtml(s.pointInTime.why)}; about ${s.pointInTime.lossSeconds} s of data lost (<strong>the default</strong>)</li>`
        : '',
      ...(s.pointInTime?.restorePoints ?? []).map(
        (p) =>
          `<li data-restore-point="${escapeHtml(p.name)}">the restore point <code>${escapeHtml(p.name)}</code> made ${clock(p.createdAt)}: give its name as the restore point below</li>`,
      ),
      s.proposal
        ? `<li>the backup <code>${escapeHtml(s.proposal.backupId)}</code> taken ${clock(s.proposal.takenAt)}: ${escapeHtml(s.proposal.why)}${s.proposal.retrieval ? `; ${escapeHtml(s.proposal.retrieval)}` : ''}</li>`
        : '',
    ].join('');
    out.push(
      form(
        'select',
        failedRestore ? 'Choose another recovery (the restore runs again with it)' : '3. Select the recovery',
        `<p>Proposed:</p><ul>${proposal || '<li>nothing: name a backup or a time</li>'}</ul><p>Leave everything as it is to take the default, or choose:</p>` +
          (options
            ? `<p>A backup (in place unless a new database is given):</p>${backupChoices(options.backups)}<p>Recoverable window: ${escapeHtml(describeWindow(options.window))}</p>${pointsLine(options.restorePoints ?? [])}`
            : text('backupId', 'A backup id (in place unless a new database is given)', {
                placeholder: 'backup_20261124_020000',
              })) +
          text('newDatabase', 'Into a new database', { placeholder: 'shop_restored' }) +
          text('to', 'Or a point in time (the server into a new instance)', { placeholder: '2026-11-24T02:14:59Z or latest' }) +
          text('toName', 'Or a restore point (the server as of it)', { placeholder: 'before-migration' }) +
          text('tables', 'Or tables, as of that point or the proposed one (comma-separated)', { placeholder: 'shop.orders' }) +
          `<label><input type="checkbox" name="replace" value="yes"> replace the live tables (after an approval)</label>`,
        'select',
      ),
    );
  }
  if (s.step === 'restore' && s.restore?.status === 'running')
    out.push(form('approve', '4. Approve the restore', text('note', 'Note'), 'approve'));
  if (waiting && s.step === 'resume')
    out.push(form('resume', '6. Resume operations', text('note', 'What you checked'), 'confirm operations resumed'));
  if (s.stepStatus === 'failed') {
    out.push(form('retry', `Retry ${STEP_TITLES[s.step]}`, text('reason', 'Why', { required: true }), 'retry'));
    out.push(form('skip', `Skip ${STEP_TITLES[s.step]}`, text('reason', 'Why', { required: true }), 'skip'));
  } else if (waiting) out.push(form('skip', `Skip ${STEP_TITLES[s.step]}`, text('reason', 'Why', { required: true }), 'skip'));
  out.push(
    form(
      'note',
      'Post an update',
      text('text', 'What to put on the record', { required: true, placeholder: 'restore at 60%, about 20 min left' }) +
        `<label><input type="checkbox" name="tell" value="yes"> tell everyone alerted so far (e-mail, Slack)</label>`,
      'post',
    ),
  );
  // The levels above level 1 not yet alerted: someone may need them before their timer.
  const open = levelsOpenToEscalate(s.matrix, s.escalation);
  if (open.length)
    out.push(
      form(
        'escalate',
        'Escalate now',
        `<fieldset><legend>Alert now, before the escalation timer</legend>${open
          .map(
            (l, i) =>
              `<label><input type="radio" name="level" value="${l}"${i === 0 ? ' checked' : ''}> ${escapeHtml(escalationChoice(l, s.matrix!, open))}</label>`,
          )
          .join('')}</fieldset>` +
          text('reason', 'Why they are needed now', {
            required: true,
            placeholder: 'restore failed twice, a decision on data loss is needed',
          }),
        'escalate',
      ),
    );
  // Someone outside the matrix (a DBA, another team): asked by mail, then told what everyone alerted is.
  out.push(
    form(
      'responder',
      'Ask someone to help',
      text('who', 'Their address', { required: true, placeholder: 'dba@example.com' }) +
        text('reason', 'Why they are needed', { required: true, placeholder: 'the replica will not catch up: a DBA is needed' }),
      'ask',
    ),
  );
  out.push(form('abort', 'Abort the incident', text('reason', 'Why', { required: true }), 'abort'));
  return out.join('\n');
}

export function incidentPage(
  s: IncidentState,
  o: { csrf: string; user: string; error?: string; done?: string; now: Date; version: string; options?: RecoveryOptions | null },
): string {
  const e = s.escalation;
  const backup = backupDue(s);
  const facts: Array<[string, string]> = [
    ['Status', `${s.status}; step ${STEP_TITLES[s.step]} (${s.stepStatus})`],
    ['Database', s.database],
    ['Failure at', clock(s.failureTime)],
    ['Opened', `${clock(s.openedAt)} by ${s.openedBy} (${age(s.openedAt, o.now)} ago)`],
    ['Waiting for', s.waitingFor ?? '–'],
    [
      'Acknowledged',
      e.acknowledgedBy
        ? `by ${e.acknowledgedBy} at ${clock(e.acknowledgedAt)}${e.lead ? `; led by ${e.lead.by} since ${clock(e.lead.since)} (took over from ${e.lead.from})` : ''}`
        : 'NOT yet',
    ],
    [
      'Escalation',
      `${alertedWords(s)}${e.sent.includes(4) ? '; customers notified' : ''}${
        backup ? `; the backup ${backup.who} at ${clock(backup.at)} unless acknowledged` : ''
      }${e.next ? `; next: ${nextEscalation(s, o.now)}` : ''}`,
    ],
  ];
  const helping = respondersWords(s);
  if (helping) facts.push(['Asked to help', helping]);
  if (s.assessment)
    facts.push([
      'Assessment',
      `${s.assessment.dataLossScope}; customer impact ${s.assessment.customerImpact ? 'yes' : 'no'} (by ${s.assessment.by})`,
    ]);
  if (s.selection) facts.push(['Chosen', `${describeSelection(s.selection)} (by ${s.selection.by})`]);
  if (s.restore) facts.push(['Restore', `${s.restore.status}: ${s.restore.detail}`]);
  if (s.checks)
    facts.push(['Checks', s.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'FAILED'} (${c.detail})`).join('; ') || 'none']);
  if (s.recovery) facts.push(['Recovery', describeRecovery(s.recovery)]);
  if (s.lastRefused)
    facts.push(['Last refused action', `${s.lastRefused.action} from ${s.lastRefused.by}: ${s.lastRefused.reason}`]);
  return layout(
    s.incidentId,
    `<h1><span class="sev sev-${escapeHtml(s.severity)}">[${escapeHtml(s.severity)}]</span> ${escapeHtml(s.summary)}</h1>
<p><small>${escapeHtml(s.incidentId)}</small></p>
${o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ''}${o.done ? `<p class="ok" role="status">${escapeHtml(o.done)}</p>` : ''}
<table class="facts">${facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
${actionForms(s, o.csrf, o.user, o.options)}
<h2>Timeline</h2><table class="timeline"><thead><tr><th>when</th><th>step</th><th>who</th><th>what</th></tr></thead><tbody>${s.timeline
      .map(
        (t) =>
          `<tr><td>${clock(t.at)}</td><td>${escapeHtml(t.step)}</td><td>${escapeHtml(t.by)}</td><td>${escapeHtml(t.what)}</td></tr>`,
      )
      .join('')}</tbody></table>`,
    { user: o.user, live: { url: `/live?of=${encodeURIComponent(s.incidentId)}`, version: o.version } },
  );
}

/** The databases with a backups page each. */
export function databasesPage(databases: string[], user: string): string {
  return layout(
    'backups',
    `<h1>Backups</h1><ul>${databases.map((d) => `<li><a href="/backups/${encodeURIComponent(d)}">${escapeHtml(d)}</a></li>`).join('')}</ul>`,
    { user },
  );
}

/** A database's backups (verification, size, storage class), its recoverable window, base backups and restore points. */
export function backupsPage(database: string, options: RecoveryOptions, user: string, now: Date): string {
  const rows = options.backups.map(
    (b) =>
      `<tr data-backup="${escapeHtml(b.backupId)}"><td><code>${escapeHtml(b.backupId)}</code></td><td>${clock(b.takenAt)}</td><td>${escapeHtml(formatBytes(b.storedBytes))}</td><td>${b.tables} tables, ${b.rows} rows</td><td>${escapeHtml(b.format)}, ${escapeHtml(b.compression)}, ${escapeHtml(b.encryption.algorithm)}</td><td>${escapeHtml(verifiedText(b))}</td><td>${escapeHtml(b.storageClass)}</td><td>${escapeHtml(b.reason)}</td></tr>`,
  );
  const newest = options.backups[0];
  return layout(
    `backups of ${database}`,
    `<h1>Backups of ${escapeHtml(database)}</h1>
<p>${newest ? `Newest: <code>${escapeHtml(newest.backupId)}</code>, ${age(newest.takenAt, now)} old. ` : ''}Recoverable window: ${escapeHtml(describeWindow(options.window))}.</p>
${
  rows.length
    ? `<table><thead><tr><th>backup</th><th>taken</th><th>stored</th><th>contents</th><th>format</th><th>verified</th><th>class</th><th>reason</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    : `<p class="error">No backup of ${escapeHtml(database)} is stored: run pgwarden backup --database ${escapeHtml(database)}.</p>`
}${baseBackupsTable(options.baseBackups ?? [])}${restorePointsTable(options.restorePoints ?? [])}`,
    { user },
  );
}

/** A server's base backups (pgwarden pitr list): where each point-in-time restore starts, and whether each was verified. */
function baseBackupsTable(bases: NonNullable<RecoveryOptions['baseBackups']>): string {
  if (!bases.length) return '';
  const rows = bases.map((b) => {
    const v = b.verification;
    const verified = v
      ? v.status === 'passed'
        ? `passed ${clock(v.verifiedAt)}`
        : `<span class="error">FAILED ${clock(v.verifiedAt)}: ${escapeHtml(v.failures.join(' | '))}</span>`
      : 'not yet';
    const reaches = b.firstMissing
      ? `<span class="error">up to <code>${escapeHtml(b.reachesLsn)}</code>: <code>${escapeHtml(b.firstMissing)}</code> is missing</span>`
      : 'the newest WAL archived';
    // A restore from an incremental reads its whole chain: said beside its size, as pitr list says it.
    const stored = `${escapeHtml(formatBytes(b.storedBytes))}${b.incrementalOn ? `, incremental on <code>${escapeHtml(b.incrementalOn)}</code>` : ''}`;
    return `<tr data-base-backup="${escapeHtml(b.backupId)}"><td><code>${escapeHtml(b.backupId)}</code></td><td>${clock(b.finishedAt)}</td><td>${stored}</td><td>${b.timeline}</td><td>${verified}</td><td>${reaches}</td></tr>`;
  });
  return `<h2>Base backups</h2><table><thead><tr><th>base backup</th><th>finished</th><th>stored</th><th>timeline</th><th>verified</th><th>recovers up to</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** For the selection: the recorded restore points a time can be taken from. */
const pointsLine = (points: NonNullable<RecoveryOptions['restorePoints']>) =>
  points.length
    ? `<p>Restore points: ${points.map((p) => `<code>${escapeHtml(p.name)}</code> made ${clock(p.createdAt)}`).join(', ')}</p>`
    : '';

/** The restore points recorded with pgwarden pitr mark: a point-in-time restore can go to each by name. */
function restorePointsTable(points: NonNullable<RecoveryOptions['restorePoints']>): string {
  if (!points.length) return '';
  const rows = points.map(
    (p) =>
      `<tr data-restore-point="${escapeHtml(p.name)}"><td><code>${escapeHtml(p.name)}</code></td><td>${clock(p.createdAt)}</td><td><code>${escapeHtml(p.lsn)}</code></td><td>${p.fromBaseBackup ? `from <code>${escapeHtml(p.fromBaseBackup)}</code>` : `not reachable: ${escapeHtml(p.unreachable ?? '')}`}</td></tr>`,
  );
  return `<h2>Restore points</h2><table><thead><tr><th>name</th><th>made</th><th>LSN</th><th>restore</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The page a level-1 mail's link opens: says what it will do, acts only on the button. */
export function confirmAckPage(o: { incidentId: string; by: string; summary?: string; error?: string; done?: boolean }): string {
  const body = o.error
    ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>`
    : o.done
      ? `<p class="ok" role="status">Acknowledged ${escapeHtml(o.incidentId)} as ${escapeHtml(o.by)}. The level 1 reminders stop; follow the incident in the console.</p><p><a href="/incidents/${encodeURIComponent(o.incidentId)}">open the incident</a></p>`
      : `<p>Acknowledge <strong>${escapeHtml(o.incidentId)}</strong>${o.summary ? ` (${escapeHtml(o.summary)})` : ''} as <strong>${escapeHtml(o.by)}</strong>? The level 1 reminders stop; levels 2 and 3 still follow unless it is resolved.</p>
<form method="post"><button type="submit">acknowledge</button></form>`;
  return layout('acknowledge', `<h1>Acknowledge the incident</h1>${body}`);
}
