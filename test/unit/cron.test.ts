import { cronProblem } from '../../src/infra/config/cron';

describe('cron expressions, checked before any schedule is created', () => {
  it.each([
    ['0 2 * * *', undefined],
    ['*/15 0-6,22-23 1,15 JAN-MAR sun', undefined],
    ['30 1 * * 7', undefined],
    ['0 4 1 */3 MON-FRI', undefined],
    ['99 99 * * *', 'minute: 99 is out of range 0-59'],
    ['0 24 * * *', 'hour: 24 is out of range 0-23'],
    ['0 2 0 * *', 'day of month: 0 is out of range 1-31'],
    ['0 2 * 13 *', 'month: 13 is out of range 1-12'],
    ['0 2 * * 8', 'day of week: 8 is out of range 0-7'],
    ['0 2 * * FUNDAY', 'day of week: FUNDAY is out of range 0-7'],
    ['5-1 2 * * *', 'minute: range 5-1 runs backwards'],
    ['*/0 2 * * *', 'minute: "*/0" has an invalid step'],
    ['0 2,,3 * * *', 'hour: an empty list item'],
    ['0 2 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
  ])('%s', (expression, problem) => expect(cronProblem(expression)).toBe(problem));
});
