/** `npm run build`'s last step: bundles the compiled workflows for the worker (see workflow-bundle.ts). */
import { writeWorkflowBundle } from './workflow-bundle';

writeWorkflowBundle().then(
  (wrote) => {
    if (wrote) process.stderr.write('pgwarden: workflow bundle written (dist/workflow-bundle.js)\n');
  },
  (err: Error) => {
    process.stderr.write(`pgwarden: could not bundle the workflows: ${err.message}\n`);
    process.exit(1);
  },
);
