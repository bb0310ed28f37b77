/**
 * The import rules the folder plan stands on (docs/ARCHITECTURE.md), checked by `npm test`:
 *   src/infra       infrastructure (config, errors, crypto, storage, postgres, notify, metrics, temporal, ...)
 *   src/operations  what pgwarden does (backup, catalog, verify, restore, cleanup, dr, report, schedules)
 *   src/app         how it runs (the CLI and the worker)
 *   activities/, workflows/  the operations' Temporal sides; devstack/  the local stack for development
 * Dependencies point down that list: no import circles, infrastructure never imports an
 * operation, operations never import the app, and nothing shipped imports the dev stack.
 */
const INFRA = '^src/infra/';
const OPERATIONS = '^src/operations/';
const APP = '^src/app/';
const TEMPORAL_SIDES = '^(activities|workflows)/';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import circle: split the shared part out', from: {}, to: { circular: true } },
    {
      name: 'infrastructure-stays-below',
      severity: 'error',
      comment: 'infrastructure must not import an operation, the app, activities or workflows: move the shared piece down',
      from: { path: INFRA },
      to: { path: `${OPERATIONS}|${APP}|${TEMPORAL_SIDES}|^devstack/` },
    },
    {
      name: 'operations-below-the-app',
      severity: 'error',
      comment: 'an operation must not import the CLI or the worker',
      from: { path: OPERATIONS },
      to: { path: APP },
    },
    {
      name: 'library-not-above-activities',
      severity: 'error',
      comment: 'the library (src/infra, src/operations) must not import activities or workflows at run time',
      from: { path: `${INFRA}|${OPERATIONS}` },
      to: { path: TEMPORAL_SIDES, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'dev-stack-not-shipped',
      severity: 'error',
      comment: 'pgwarden itself must not depend on the development stack',
      from: { path: `^src/|${TEMPORAL_SIDES}` },
      to: { path: '^devstack/' },
    },
    {
      name: 'workflows-not-activities',
      severity: 'error',
      comment: 'workflow code imports activities by type only (proxyActivities<Activities>)',
      from: { path: '^workflows/' },
      to: { path: '^activities/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.state|\\.tools)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
