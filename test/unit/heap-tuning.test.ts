/** The worker's heap tuning names a flag this Node's V8 has (an unknown flag is only warned about). */
import { execFileSync } from 'node:child_process';

it('uses a V8 flag that this Node knows', () => {
  const options = execFileSync(process.execPath, ['--v8-options']).toString();
  expect(options).toMatch(/^\s*--heap-growing-percent \(/m);
});
