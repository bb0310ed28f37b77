/** Stops the services this jest run started; a stack that was already running stays up. */
import { down } from '../../devstack/stack';
import { sharedState } from './run-state';

export default async function globalTeardown(): Promise<void> {
  const shared = sharedState();
  shared.refs -= 1;
  if (shared.refs > 0) return;
  if (shared.started.length > 0) await down(() => undefined, shared.started);
}
