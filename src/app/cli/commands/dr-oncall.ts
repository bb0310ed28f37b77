/**
 * `pgwarden dr oncall`: who an incident opened now would alert first, and the shifts after,
 * from the configuration alone (no Temporal): the rotation an operator checks before a holiday.
 */
import { UsageError } from '../../../infra/errors/errors';
import { contactWords } from '../../../operations/dr/escalation';
import { matrixAt, shiftsFrom } from '../../../operations/dr/on-call';
import { cliTime } from '../columns';
import { CommandContext } from '../context';

export async function runDrOncall(ctx: CommandContext, o: { matrix?: string; next?: string; json?: boolean }): Promise<void> {
  const matrices = ctx.config().incident.matrices;
  const name = o.matrix?.trim() || 'default';
  const matrix = matrices[name];
  if (!matrix)
    throw new UsageError(
      `--matrix ${name}: not configured (known: ${Object.keys(matrices).join(', ')}); see ESCALATION_MATRICES`,
    );
  const count = o.next === undefined ? 4 : Number(o.next);
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new UsageError(`--next ${o.next}: a number of shifts from 1 to 100`);
  const now = new Date();
  const level1 = contactWords(1, matrixAt(matrix, now));
  if (!matrix.onCall) {
    if (o.json)
      return void process.stdout.write(`${JSON.stringify({ matrix: name, shifts: [], level1: matrix.level1.contacts })}\n`);
    process.stdout.write(
      `matrix "${name}" has no on-call rotation (ESCALATION_ONCALL); an incident opened now alerts level 1: ${level1}\n`,
    );
    return;
  }
  const shifts = shiftsFrom(matrix.onCall, now, count);
  if (o.json) {
    const out = shifts.map((s) => ({ who: s.who, from: s.from.toISOString(), until: s.until.toISOString() }));
    return void process.stdout.write(
      `${JSON.stringify({ matrix: name, shifts: out, level1: matrixAt(matrix, now).level1.contacts })}\n`,
    );
  }
  const [current, ...next] = shifts;
  process.stdout.write(
    `on call now (matrix "${name}"): ${current.who} until ${cliTime(current.until.toISOString())}; an incident opened now alerts level 1: ${level1}\n` +
      next.map((s) => `then ${s.who}: ${cliTime(s.from.toISOString())} to ${cliTime(s.until.toISOString())}\n`).join(''),
  );
}
