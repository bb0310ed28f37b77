/**
 * The console's on-call page (`/oncall`): each rotation's next shifts and its stand-ins, a form
 * to put someone on call in the rotation's place (the CLI's `dr oncall --stand-in`), a button
 * to take a stand-in back, the shift under way so far (the CLI's `dr oncall --review`), the
 * note left for whoever comes on call next (the CLI's `dr oncall --handover-note`), and the
 * shifts as a calendar file (`/oncall.ics`). The roster decides (its refusals are shown on the
 * page); the person logged in is recorded as who set it (`console:<name>`) or left it
 * (`<name> (console)`).
 */
import { MAX_NOTE_CHARS, standInTime, type HandoverNoteRequest, type StandInRequest } from '../../operations/dr/stand-ins';
import { EMAIL_ADDRESS } from '../../infra/config/email-address';
import { minuteUtc } from '../../operations/dr/details';
import { shiftOfView, stretchWords } from '../../operations/dr/on-call';
import { reviewFacts } from '../../operations/dr/shift-review';
import { ActionRefused, type RosterView, type RotationView } from './backend';
import { escapeHtml, layout } from './pages';

/** How many shifts the page lists per rotation. */
export const SHIFTS_SHOWN = 6;
/** How many its calendar file holds (half a year of weekly shifts). */
export const CALENDAR_SHIFTS = 26;

/** The stand-in a submitted form asks for, as `user`; ActionRefused with one line when it cannot be read. */
export function standInFromForm(form: Record<string, string>, user: string, now: Date): StandInRequest {
  const fromText = form.from?.trim() || 'now';
  const from = standInTime(fromText, now);
  if (!from)
    throw new ActionRefused(
      `from "${fromText}": an ISO time with its zone (2026-12-07T18:00:00Z), now, or from now (30m, 8h, 2d)`,
    );
  const untilText = form.until?.trim() ?? '';
  if (!untilText) throw new ActionRefused('until is required: when the stand-in ends, e.g. 8h or 2026-12-08T08:00:00Z');
  const until = standInTime(untilText, from);
  if (!until)
    throw new ActionRefused(
      `until "${untilText}": an ISO time with its zone (2026-12-08T08:00:00Z), or from the start (30m, 8h, 2d)`,
    );
  return {
    matrix: form.matrix?.trim() || 'default',
    who: form.who?.trim() ?? '',
    from: from.toISOString(),
    until: until.toISOString(),
    setBy: `console:${user}`,
    ...(form.backup === '1' ? { backup: true as const } : {}),
  };
}

/** The note a submitted form leaves (or takes back, `clear`), as `user`; ActionRefused when it has no text. */
export function handoverNoteFromForm(form: Record<string, string>, user: string): HandoverNoteRequest {
  const text = form.clear === '1' ? '' : (form.text ?? '').trim();
  if (form.clear !== '1' && !text)
    throw new ActionRefused('the note needs its text: what whoever comes on call next should know');
  return { matrix: form.matrix?.trim() || 'default', text, by: `${user} (console)` };
}

/** The matrix's note not yet told, with its take-back button, and the form that leaves one. */
function noteSection(r: RotationView, csrf: string): string {
  const hidden = `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="matrix" value="${escapeHtml(r.matrix)}">`;
  const next = r.shifts[1];
  const left = r.note
    ? `<p class="handover-note" data-note>&ldquo;${escapeHtml(r.note.text)}&rdquo; <small>left by ${escapeHtml(r.note.by)}, ${minuteUtc(r.note.at)}</small></p>
<form method="post" action="/oncall/note" style="margin:0">${hidden}<input type="hidden" name="clear" value="1"><button type="submit">take the note back</button></form>`
    : '';
  return `<h3>Note for whoever comes on call next</h3>${left}
<form class="action" method="post" action="/oncall/note" data-action="handover-note">${hidden}
<label>Note <input type="text" name="text" required size="60" maxlength="${MAX_NOTE_CHARS}" placeholder="migration 42 runs at 02:00; wal.behind may fire once"></label>
<button type="submit">${r.note ? 'replace the note' : 'leave the note'}</button>
<p><small>Told once${next ? ` to ${escapeHtml(next.who)} at the handover (${minuteUtc(next.from)})` : ' at the next handover'}, or with a stand-in set from now.</small></p></form>`;
}

/** The shift under way so far, in the words its handover will use (the CLI's `dr oncall --review`). */
function reviewSection(r: RotationView): string {
  if (r.review === undefined) return '';
  const body =
    r.review === null
      ? `<p class="error">Not reviewed: Temporal's visibility could not be read.</p>`
      : `<table class="facts">${reviewFacts(r.review, 'So far')
          .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
          .join('')}</table>`;
  return `<section data-review><h3>This shift so far</h3>${body}<p><small>What the handover will tell whoever comes on call next.</small></p></section>`;
}

function rotationSection(r: RotationView, csrf: string, several: boolean): string {
  // The backup column only where a backup is asked for (ESCALATION_ONCALL_BACKUP_AFTER_MINUTES).
  const backups = r.shifts.some((s) => s.backup);
  const shifts = r.shifts
    .map(
      (s, i) =>
        `<tr><td>${i === 0 ? '<strong>now</strong>' : 'then'}</td><td>${escapeHtml(s.who)}</td>${backups ? `<td data-backup-of-shift>${escapeHtml(s.backups ? stretchWords(shiftOfView(s).backups!, (d) => minuteUtc(d.toISOString())) : (s.backup ?? '–'))}</td>` : ''}<td>${minuteUtc(s.from)}</td><td>${minuteUtc(s.until)}</td></tr>`,
    )
    .join('');
  const standIns = r.standIns
    .map(
      (s) =>
        `<tr data-stand-in="${escapeHtml(s.id)}"><td><code>${escapeHtml(s.id)}</code></td><td>${escapeHtml(s.who)}</td><td>${s.backup ? 'the backup' : 'on call'}</td><td>${minuteUtc(s.from)}</td><td>${minuteUtc(s.until)}</td><td>${escapeHtml(s.setBy)}, ${minuteUtc(s.setAt)}</td>
<td><form method="post" action="/oncall/remove" style="margin:0"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><input type="hidden" name="id" value="${escapeHtml(s.id)}"><button type="submit">take back</button></form></td></tr>`,
    )
    .join('');
  return `<section data-matrix="${escapeHtml(r.matrix)}">${several ? `<h2>${escapeHtml(r.matrix)}</h2>` : ''}
<p><a href="/oncall.ics?matrix=${encodeURIComponent(r.matrix)}" download>the next ${CALENDAR_SHIFTS} shifts as a calendar file (.ics)</a></p>
<form method="get" action="/oncall.ics" data-action="calendar-for"><input type="hidden" name="matrix" value="${escapeHtml(r.matrix)}">
<label>One person's shifts, their backup shifts included <input type="text" name="who" required placeholder="alice@example.com"></label>
<button type="submit">download their calendar</button></form>
<table class="shifts"><thead><tr><th></th><th>on call</th>${backups ? '<th>backup</th>' : ''}<th>from</th><th>until</th></tr></thead><tbody>${shifts}</tbody></table>
${
  r.backup
    ? `<p data-backup>An incident opened now alerts ${escapeHtml(r.shifts[0]?.who ?? '')} first, and the backup ${escapeHtml(r.backup.who)} if nobody acknowledges within ${r.backup.afterMinutes} min.</p>`
    : ''
}${
    r.standIns.length
      ? `<h3>Stand-ins set at run time</h3><table class="stand-ins"><thead><tr><th>id</th><th>who</th><th>as</th><th>from</th><th>until</th><th>set by</th><th></th></tr></thead><tbody>${standIns}</tbody></table>`
      : ''
  }${reviewSection(r)}${noteSection(r, csrf)}</section>`;
}

function standInForm(view: RosterView, csrf: string, who: string): string {
  const matrices = view.rotations.map((r) => r.matrix);
  const matrix =
    matrices.length > 1
      ? `<label>Rotation <select name="matrix">${matrices.map((m) => `<option>${escapeHtml(m)}</option>`).join('')}</select></label>`
      : `<input type="hidden" name="matrix" value="${escapeHtml(matrices[0])}">`;
  return `<form class="action" method="post" action="/oncall" data-action="stand-in"><h3>Put someone on call</h3>
<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">${matrix}
<label>Address <input type="text" name="who" required value="${escapeHtml(who)}" placeholder="carol@example.com"></label>
<label>From <input type="text" name="from" value="now" placeholder="now, 2h, or 2026-12-07T18:00:00Z"></label>
<label>Until <input type="text" name="until" required placeholder="8h, 2d, or 2026-12-08T08:00:00Z"></label>${
    view.rotations.some((r) => r.asksBackup)
      ? '\n<label><input type="checkbox" name="backup" value="1"> as the backup on call (alerted when nobody acknowledges in time), not on call</label>'
      : ''
  }
<button type="submit">set the stand-in</button>
<p><small>They and whoever the rotation has on call (or as the backup) are told by e-mail; the next incident alerts them first (or when nobody acknowledges).</small></p></form>`;
}

export function onCallPage(
  view: RosterView,
  o: { user: string; csrf: string; now: Date; error?: string; done?: string },
): string {
  const body = view.rotations.length
    ? `${view.unread ? `<p class="error" role="alert">As configured: ${escapeHtml(view.unread)}</p>` : ''}${view.rotations
        .map((r) => rotationSection(r, o.csrf, view.rotations.length > 1))
        .join('')}${standInForm(view, o.csrf, EMAIL_ADDRESS.test(o.user) ? o.user : '')}`
    : '<p>No on-call rotation is configured (ESCALATION_ONCALL): an incident alerts all of level 1.</p>';
  return layout(
    'on call',
    `<h1>On call</h1>${o.done ? `<p class="ok" role="status">${escapeHtml(o.done)}</p>` : ''}${
      o.error ? `<p class="error" role="alert">${escapeHtml(o.error)}</p>` : ''
    }${body}<p><small>As of ${minuteUtc(o.now.toISOString())}.</small></p>`,
    { user: o.user },
  );
}
