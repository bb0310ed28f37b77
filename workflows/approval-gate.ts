/**
 * The approval an in-place change waits for (a restore over a live database, a table replaced
 * by its recovered copy): the `approveRestore` / `rejectRestore` Updates with a validator, the
 * `approveRestoreSignal` twin for the Temporal UI, and a timeout after which nothing is
 * changed. One gate for every kind of run, so one command approves them all
 * (`pgwarden restore --approve ID`).
 */
import { condition, log, patched, setHandler } from '@temporalio/workflow';
import {
  approveRestoreSignal,
  approveRestoreUpdate,
  rejectRestoreUpdate,
  RestoreApproval,
  RestoreStatus,
  restoreStatusQuery,
} from '../src/infra/temporal/messages';
import { typedFailure } from '../src/infra/temporal/failure';

export class ApprovalGate {
  private rejection: RestoreApproval | undefined;
  /** An approval signalled before the gate opened (an incident's approval while the restore still checks). */
  private early: RestoreApproval | undefined;
  private opened = false;

  /** Registers the handlers; `status` is the run's own, shown by the `restoreStatus` query and returned by each Update. */
  constructor(
    readonly status: RestoreStatus,
    /** What the run is called in refusals: "this restore is not waiting for approval". */
    noun: string,
  ) {
    setHandler(restoreStatusQuery, () => this.status);
    const validate = (a: RestoreApproval) => {
      if (!a?.by?.trim()) throw new Error('say who you are: "by" is required');
      if (!this.status.awaitingApproval) throw new Error(`this ${noun} is not waiting for approval (step: ${this.status.step})`);
    };
    setHandler(approveRestoreUpdate, (a) => this.approve(a), { validator: validate });
    setHandler(
      rejectRestoreUpdate,
      (a) => {
        this.rejection = a;
        this.status.rejectedBy = a.by.trim();
        this.status.awaitingApproval = false;
        this.status.step = `rejected by ${this.status.rejectedBy}`;
        return this.status;
      },
      { validator: validate },
    );
    setHandler(approveRestoreSignal, (a) => {
      // Before the gate opens (the run still checks its target), the approval is kept for it:
      // an incident's approval sent then was lost, and the restore waited out its timeout.
      if (!this.opened && a?.by?.trim() && patched('approval-kept-until-open')) {
        this.early = a;
        return;
      }
      try {
        validate(a);
        this.approve(a);
      } catch (err) {
        log.warn('approval signal ignored', { reason: (err as Error).message });
      }
    });
  }

  private approve(a: RestoreApproval): RestoreStatus {
    this.status.approvedBy = a.by.trim();
    this.status.awaitingApproval = false;
    this.status.step = `approved by ${this.status.approvedBy}`;
    return this.status;
  }

  /** Marks the run as waiting (call before telling people), so an approval that comes at once is accepted. */
  open(): void {
    this.opened = true;
    this.status.step = 'awaiting approval';
    this.status.awaitingApproval = true;
    if (this.early) this.approve(this.early);
  }

  /** Waits for the decision; a rejection or the timeout fails the run, with nothing changed. */
  async decided(timeoutMinutes: number): Promise<void> {
    const decided = await condition(() => !this.status.awaitingApproval, `${timeoutMinutes} minutes`);
    if (!decided) {
      this.status.awaitingApproval = false;
      throw typedFailure('RestoreNotApproved', `no approval within ${timeoutMinutes} minutes; nothing was changed`);
    }
    if (this.rejection)
      throw typedFailure(
        'RestoreNotApproved',
        `rejected by ${this.rejection.by}${this.rejection.note ? `: ${this.rejection.note}` : ''}; nothing was changed`,
      );
  }
}
