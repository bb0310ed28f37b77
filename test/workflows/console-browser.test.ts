/**
 * The incident console in a real browser (Debian's Chromium driven by playwright-core) over a
 * real incident on the dev server: an operator logs in, opens the incident from the board,
 * on-call acknowledges from the level 1 mail's link on another device, and the operator's
 * page follows by itself; then the assessment, a refused and an accepted selection from the
 * backup list, the approval of the in-place restore and the resume, each from its form. And the
 * on-call page: a stand-in set and taken back from it. A screenshot of every page is kept in
 * test-artifacts/console/.
 */
import { mkdirSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from '../../devstack/paths';
import { CHROMIUM_FLAGS, ensureChromium } from '../../devstack/services/browser';
import { createConsoleServer } from '../../src/app/console/server';
import { temporalBackend } from '../../src/app/console/backend';
import { hashPassword } from '../../src/app/console/auth';
import { Secret } from '../../src/infra/config/secret';
import type { IncidentState } from '../../src/operations/dr/incident';
import { SLACK_ACK_ACTION } from '../../src/infra/notify/slack-interaction';
import { tableFingerprints, withClient } from '../support/databases';
import { capturedMail, capturedWebhooks, waitForCaptured } from '../support/sinks';
import { workflowSuite } from '../support/workflow-suite';
import { uniqueSuffix } from '../support/temporal';
import { shiftAt } from '../../src/operations/dr/on-call';
import { handoverNotesQuery, onCallRosterId, standInsQuery } from '../../src/operations/dr/roster-messages';
import { waitFor } from '../support/wait';

const artifacts = join(repoRoot, 'test-artifacts', 'console');

async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

describe('the incident console in a real browser', () => {
  const suite = workflowSuite('console');
  let browser: Browser | undefined;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    browser = await chromium.launch({
      executablePath: ensureChromium(() => undefined),
      headless: true,
      args: CHROMIUM_FLAGS.filter((f) => f !== '--headless'),
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  it('drives a full incident: open, ack from the mail link, assess, select, approve, resume', async () => {
    const db = await suite.freshDatabase('console', 'awkward.sql');
    const secret = 'browser-test-secret-of-at-least-32-characters';
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { taskQueue, config } = await suite.workerFor(db, {
      ESCALATION_L1_EMAIL: 'oncall@example.com',
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_PUBLIC_URL: base,
      SLACK_SIGNING_SECRET: 'slack-signing-secret',
    });
    const client = suite.server.client;
    const backup = await suite.verifiedBackup(db, taskQueue);
    const before = await tableFingerprints(db);
    await new Promise((r) => setTimeout(r, 1100)); // the failure comes after the backup
    await withClient(db, (c) => c.query('DELETE FROM inventory.items WHERE qty < 25'));

    // The console as `pgwarden console` runs it, starting incidents on this test's task queue.
    const consoleConfig = { ...config, temporal: { ...config.temporal, taskQueue } };
    const server = createConsoleServer({
      settings: {
        ...config.console,
        operators: new Map([['alice', hashPassword('correct horse battery')]]),
        sessionSecret: new Secret(secret),
      },
      backend: temporalBackend(client, consoleConfig),
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const operator = await browser!.newContext({ viewport: { width: 1200, height: 900 } });
    const phone = await browser!.newContext({ viewport: { width: 420, height: 800 } });
    let incidentId: string | undefined;
    try {
      const page = await operator.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // Script errors only: the refusals' own 401 and 400 answers are logged by Chromium too, and meant.
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of (401|400)/.test(m.text())) pageErrors.push(m.text());
      });

      // Nothing without logging in.
      await page.goto(`${base}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('input[name=user]', 'alice');
      await page.fill('input[name=password]', 'wrong password');
      await page.click('button[type=submit]');
      await expectText(page, '[role=alert]', 'unknown name or wrong password');
      await shot(page, '01-login-refused');
      await page.fill('input[name=user]', 'alice');
      await page.fill('input[name=password]', 'correct horse battery');
      await page.click('button[type=submit]');
      await expectText(page, 'h1', 'Open incidents');
      await shot(page, '02-board-empty');

      // Open the incident from the board's form.
      const form = page.locator('form[data-action=open]');
      await form.locator('select[name=database]').selectOption(db);
      await form.locator('input[name=summary]').fill('items wiped by a bad migration');
      await form.locator('select[name=severity]').selectOption('SEV2');
      await form.locator('button').click();
      await expectText(page, '[role=status]', 'incident opened: level 1 is alerted');
      incidentId = decodeURIComponent(new URL(page.url()).pathname.split('/')[2]);
      expect(incidentId).toMatch(new RegExp(`^dr-${db}-`));
      await expectText(page, 'table.facts', 'NOT yet');
      await shot(page, '03-incident-opened');

      // Level 1's Slack message carries the Acknowledge button the console answers.
      const [slack] = await waitForCaptured(capturedWebhooks, incidentId);
      expect(JSON.stringify(slack)).toContain(SLACK_ACK_ACTION);

      // On-call acknowledges from the mail's link, on another device, without logging in.
      const [mail] = await waitForCaptured(capturedMail, incidentId);
      const link = /Acknowledge in one click: +(\S+)/.exec(mail.text)![1];
      expect(link.startsWith(`${base}/ack?t=`)).toBe(true);
      const mobile = await phone.newPage();
      await mobile.goto(link);
      await expectText(mobile, 'main', `Acknowledge ${incidentId}`);
      await shot(mobile, '04-ack-link-confirm');
      await mobile.click('button[type=submit]');
      await expectText(mobile, '[role=status]', `Acknowledged ${incidentId} as mail link to oncall@example.com`);
      await shot(mobile, '05-ack-link-done');

      // The operator's page follows by itself: acknowledged, then the assessment awaited.
      await expectText(page, 'table.facts', 'by mail link to oncall@example.com', 30_000);
      await page.locator('form[data-action=assess]').waitFor({ timeout: 60_000 });
      await shot(page, '06-assess-awaited');
      const assess = page.locator('form[data-action=assess]');
      await assess.locator('input[name=scope]').fill('inventory items with qty < 25');
      await assess.locator('input[name=customerImpact][value=no]').check();
      await assess.locator('button').click();
      await expectText(page, '[role=status]', 'assessment recorded');

      // The manager is needed before the hour: escalated from the page, with why.
      const escalate = page.locator('form[data-action=escalate]');
      await escalate.locator('input[name=level][value="2"]').check();
      await escalate.locator('input[name=reason]').fill('a decision on the lost items is needed');
      await escalate.locator('button').click();
      await expectText(page, '[role=status]', 'escalated: the level is alerted now');
      await expect(page.locator('input[name=level][value="2"]').count()).resolves.toBe(0); // alerted: no longer offered

      // The selection: the backups listed; a point in time refused inline (no WAL archive), then the backup.
      await page.locator('form[data-action=select]').waitFor({ timeout: 60_000 });
      const select = page.locator('form[data-action=select]');
      await expect(select.locator(`input[name=backupId][value="${backup.backupId}"]`).count()).resolves.toBe(1);
      await expectText(page, 'form[data-action=select]', 'Recoverable window: no point in time');
      await shot(page, '07-select-awaited');
      await select.locator('input[name=to]').fill('latest');
      await select.locator('button').click();
      await expectText(page, '[role=alert]', 'is not in WAL_ARCHIVE');
      await shot(page, '08-select-refused');
      const again = page.locator('form[data-action=select]');
      await again.locator(`input[name=backupId][value="${backup.backupId}"]`).check();
      await again.locator('button').click();
      await expectText(page, '[role=status]', 'selection recorded');

      // The in-place restore waits for its approval, given here.
      await page.locator('form[data-action=approve]').waitFor({ timeout: 60_000 });
      await shot(page, '09-approve-awaited');
      const approve = page.locator('form[data-action=approve]');
      await approve.locator('input[name=note]').fill('checked the backup time with the team');
      await approve.locator('button').click();
      await expectText(page, '[role=status]', 'restore approved');

      // Restored and checked: resume operations.
      await page.locator('form[data-action=resume]').waitFor({ timeout: 120_000 });
      await shot(page, '10-resume-awaited');
      const resume = page.locator('form[data-action=resume]');
      await resume.locator('input[name=note]').fill('items back, app checked');
      await resume.locator('button').click();
      await expectText(page, '[role=status]', 'operations resumed');
      await expectText(page, 'table.facts', 'resolved', 15_000);
      await shot(page, '11-resolved');

      const final: IncidentState = await client.workflow.getHandle(incidentId).result();
      expect(final).toMatchObject({
        status: 'resolved',
        openedBy: 'alice',
        escalation: { acknowledgedBy: 'mail link to oncall@example.com' },
        assessment: { by: 'alice', customerImpact: false },
        selection: { by: 'alice', backupId: backup.backupId },
        restore: { status: 'succeeded' },
      });
      expect(final.timeline.filter((t) => t.by === 'alice').map((t) => t.step)).toEqual(
        expect.arrayContaining(['assess', 'escalation', 'select', 'restore', 'resume']),
      );
      expect(final.escalation.sent).toEqual(expect.arrayContaining([1, 2]));
      expect(final.timeline).toContainEqual(
        expect.objectContaining({
          by: 'alice',
          what: 'escalated to level 2 (manager) now: a decision on the lost items is needed',
        }),
      );
      expect(final.lastRefused ?? null).toBeNull(); // the refused selection failed its Update: nothing recorded
      expect(await tableFingerprints(db)).toEqual(before);

      // The backups page of the database.
      await page.goto(`${base}/backups/${db}`);
      await page.locator(`tr[data-backup="${backup.backupId}"]`).waitFor();
      await expectText(page, `tr[data-backup="${backup.backupId}"]`, 'passed');
      await shot(page, '12-backups');
      expect(pageErrors).toEqual([]);
      for (const p of [page, mobile]) expect(await p.content()).not.toContain(secret);
    } finally {
      await operator.close();
      await phone.close();
      server.close();
      if (incidentId)
        await client.workflow
          .getHandle(incidentId)
          .terminate('test over')
          .catch(() => undefined);
    }
  });

  it('sets a stand-in from the on-call page as the person behind the proxy, told by e-mail, and takes it back', async () => {
    const db = await suite.freshDatabase('console');
    const tag = uniqueSuffix();
    const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((n) => `${n}-${tag}@example.com`);
    const rotation = { people: [alice, bob], from: '2026-12-07T09:00:00Z', shiftHours: 168 };
    const secret = 'browser-test-secret-of-at-least-32-characters';
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { taskQueue, config } = await suite.workerFor(db, {
      ESCALATION_ONCALL: rotation.people.join(','),
      ESCALATION_ONCALL_FROM: rotation.from,
      CONSOLE_SESSION_SECRET: secret,
      CONSOLE_PUBLIC_URL: base,
    });
    const onCall = shiftAt(rotation, new Date()).who;
    const client = suite.server.client;
    const server = createConsoleServer({
      settings: {
        ...config.console,
        trustedUserHeader: 'x-forwarded-user',
        operators: new Map(),
        sessionSecret: new Secret(secret),
      },
      backend: temporalBackend(client, { ...config, temporal: { ...config.temporal, taskQueue } }),
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    // Carol, signed in by the proxy in front of the console, covers tonight.
    const context = await browser!.newContext({
      viewport: { width: 1200, height: 900 },
      extraHTTPHeaders: { 'X-Forwarded-User': carol },
    });
    const roster = client.workflow.getHandle(onCallRosterId(taskQueue));
    try {
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error' && !/status of 400/.test(m.text())) pageErrors.push(m.text());
      });
      await page.goto(`${base}/`);
      await page.click('header a[href="/oncall"]');
      await expectText(page, 'h1', 'On call');
      await expectText(page, 'table.shifts tbody tr:first-child', onCall);
      // The shift so far, read from the real visibility: nothing has run on this deployment's queue yet.
      expect(await page.locator('section[data-review] table.facts').innerText()).toMatch(
        /^So far\s+since \d{4}-\d\d-\d\d \d\d:\d\d UTC: 0 backups stored, no run failed$/,
      );
      const form = page.locator('form[data-action=stand-in]');
      expect(await form.locator('input[name=who]').inputValue()).toBe(carol);

      await form.locator('input[name=until]').fill('tomorrow');
      await form.locator('button').click();
      await expectText(page, '[role=alert]', 'until "tomorrow": an ISO time with its zone');
      await shot(page, '13-oncall-refused');

      // A note for whoever comes on call next, left on the page: it goes with the stand-in below.
      await page.locator('form[data-action=handover-note] input[name=text]').fill('migration 42 runs at 02:00');
      await page.locator('form[data-action=handover-note] button').click();
      await expectText(page, '[role=status]', 'Handover note left');
      await expectText(page, 'p[data-note]', `migration 42 runs at 02:00`);
      expect(await roster.query(handoverNotesQuery)).toEqual([
        expect.objectContaining({ matrix: 'default', text: 'migration 42 runs at 02:00', by: `${carol} (console)` }),
      ]);

      await page.locator('form[data-action=stand-in] input[name=until]').fill('8h');
      await page.locator('form[data-action=stand-in] button').click();
      await expectText(page, '[role=status]', 'Stand-in s1 set');
      await expectText(page, 'table.shifts tbody tr:first-child', carol);
      await expectText(page, 'tr[data-stand-in=s1]', `console:${carol}`);
      await shot(page, '14-oncall-stand-in');
      expect(await roster.query(standInsQuery)).toEqual([expect.objectContaining({ who: carol, setBy: `console:${carol}` })]);
      const [told] = await waitForCaptured(capturedMail, carol);
      expect(told.subject).toContain(`${carol} is on call in place of ${onCall}`);
      expect(told.envelopeTo).toEqual([carol, onCall]);
      expect(told.text).toContain(`Note from ${carol} (console): migration 42 runs at 02:00 (left `);
      await waitFor('the note told is gone', async () => (await roster.query(handoverNotesQuery)).length === 0);

      await page.locator('tr[data-stand-in=s1] button').click();
      await expectText(page, '[role=status]', 'Stand-in s1 taken back: the rotation holds again.');
      await expectText(page, 'table.shifts tbody tr:first-child', onCall);
      expect(await page.locator('tr[data-stand-in]').count()).toBe(0);
      expect(await page.locator('p[data-note]').count()).toBe(0);
      expect(await roster.query(standInsQuery)).toEqual([]);
      await shot(page, '15-oncall-taken-back');
      expect(pageErrors).toEqual([]);
      expect(await page.content()).not.toContain(secret);
    } finally {
      await context.close();
      server.close();
      await roster.terminate('test over').catch(() => undefined);
    }
  });
});

/** Waits until the element holds the text (pages change by themselves: forms, live reloads). */
async function expectText(page: Page, selector: string, text: string, timeout = 15_000): Promise<void> {
  await page.locator(selector, { hasText: text }).first().waitFor({ timeout });
}
