/**
 * The Temporal side of an incident: publishing its state to the UI, running a step so that a
 * failure waits for a person's retry, skip or abort, and waiting for a person. The rules
 * themselves live in the Incident class (src/operations/dr/incident-machine.ts).
 */
import {
  CancellationScope,
  condition,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import type { SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { incidentDetails } from '../src/operations/dr/details';
import { IncidentState, type Responder, Step } from '../src/operations/dr/incident';
import { Incident } from '../src/operations/dr/incident-machine';
import type { EscalateInput } from '../src/operations/dr/validate';
import { rootCauseMessage } from '../src/infra/temporal/root-cause';
import {
  DatabaseSA,
  EscalationLevelSA,
  IncidentStatusSA,
  IncidentStepSA,
  OperationSA,
  SeveritySA,
} from '../src/infra/temporal/search-attributes';

/**
 * A validator's refusal as the UI and the CLI show it: the message, typed for the exit code,
 * without the worker's stack trace (which says nothing to the person who sent it).
 */
function refusal(err: unknown): ApplicationFailure {
  const failure = ApplicationFailure.create({ type: 'UsageError', message: (err as Error).message, nonRetryable: true });
  failure.stack = '';
  return failure;
}

/** What people are told through besides the timers: kept apart so the escalation and the flow do not import each other. */
export interface PeopleTold {
  tell(a: { by: string; text: string }): Promise<void>;
  handover(from: string, to: string): Promise<void>;
  escalateNow(a: EscalateInput): Promise<void>;
  askToHelp(r: Responder): Promise<void>;
}

export class IncidentFlow {
  /** Cancelled by an abort: everything the runbook does runs inside it. */
  readonly main = new CancellationScope();
  private stepScope: CancellationScope | undefined;
  private published = '';

  /** The escalation (workflows/escalation.ts), once the incident opened: updates and handovers are told through it. */
  escalation: PeopleTold | undefined;

  /** Set for an unattended drill: a failed step ends it instead of waiting for a person. */
  onStepFailed: ((reason: string) => void) | undefined;

  constructor(readonly incident: Incident) {}

  /** What the UI list filters on (upserted when it changes) and the run's details. */
  publish(): void {
    const s = this.incident.state;
    const attributes = JSON.stringify({ step: s.step, status: s.status, level: s.escalation.level, database: s.database });
    if (attributes !== this.published) {
      this.published = attributes;
      upsertSearchAttributes([
        { key: DatabaseSA, value: s.database },
        { key: OperationSA, value: 'dr' },
        { key: SeveritySA, value: s.severity },
        { key: IncidentStatusSA, value: s.status },
        { key: IncidentStepSA, value: s.step },
        { key: EscalationLevelSA, value: s.escalation.level },
      ]);
    }
    setCurrentDetails(incidentDetails(s));
  }

  /**
   * A human step as an Update (validated: a refusal is rejected before anything is recorded;
   * `apply` may refuse too, by throwing a Temporal failure, which fails the Update) and a
   * Signal of the same meaning (a refusal is recorded and shown as the last refused action).
   */
  bind<A>(
    update: UpdateDefinition<IncidentState, [A]>,
    signal: SignalDefinition<[A]>,
    validate: (s: IncidentState, a: A) => void,
    apply: (a: A) => void | Promise<void>,
  ): void {
    const state = this.incident.state;
    setHandler(
      update,
      async (a) => {
        await apply(a);
        this.publish();
        return state;
      },
      {
        validator: (a) => {
          try {
            validate(state, a);
          } catch (err) {
            throw refusal(err);
          }
        },
      },
    );
    setHandler(signal, async (a) => {
      const refuse = (err: unknown) => {
        const reason = rootCauseMessage(err);
        log.warn('signal refused', { signal: signal.name, reason });
        this.incident.refused(signal.name, (a as { by?: unknown } | undefined)?.by, reason);
        this.publish();
      };
      try {
        validate(state, a);
      } catch (err) {
        return refuse(err);
      }
      try {
        await apply(a);
      } catch (err) {
        // A check that needs an activity (a backup that is not there) refuses as a validator does;
        // a Signal handler that threw would fail the whole incident.
        if (isCancellation(err) || !(err instanceof TemporalFailure)) throw err;
        return refuse(err);
      }
      this.publish();
    });
  }

  /** Cancels the step that waits, for a person's skip. */
  cancelStep(): void {
    this.stepScope?.cancel();
  }

  /** Runs one step; a failure waits for a retry (runs it again), a skip or an abort. */
  async step(step: Step, body: () => Promise<unknown>): Promise<void> {
    const incident = this.incident;
    for (;;) {
      incident.stepStarted(step);
      this.publish();
      const scope = new CancellationScope();
      this.stepScope = scope;
      try {
        await scope.run(body);
        this.stepScope = undefined;
        incident.stepDone();
        return;
      } catch (err) {
        this.stepScope = undefined;
        if (isCancellation(err)) {
          if (incident.stepCancelled()) return;
          throw err;
        }
        incident.stepFailed(rootCauseMessage(err));
        this.publish();
        this.onStepFailed?.(rootCauseMessage(err));
        await condition(() => incident.decided !== null);
        if (incident.decided === 'skip') {
          incident.skipFailed();
          return;
        }
      }
    }
  }

  /** Waits for a person; `ready` reads what their message recorded. */
  async waitFor<T>(what: string, ready: () => T | null): Promise<T> {
    this.incident.waiting(what);
    this.publish();
    await condition(() => ready() !== null);
    this.incident.working();
    return ready()!;
  }
}
