/**
 * The import rules the folder plan stands on (docs/ARCHITECTURE.md), checked by `npm test`:
 * no import circles, and infrastructure (crypto, storage, postgres, notify, ...) never imports
 * an operation (backup, restore, incident, report, ...), the CLI, activities or workflows.
 */
const INFRASTRUCTURE = '^src/(config|crypto|storage|postgres|notify|metrics|temporal|streams|errors|process|clients|format)/';
const OPERATIONS = '^(src/(backup|incident|report|schedules|cli|worker|devstack)/|activities/|workflows/)';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'an import circle: split the shared part out', from: {}, to: { circular: true } },
    {
      name: 'infrastructure-stays-below',
      severity: 'error',
      comment: 'infrastructure must not import an operation, the CLI, activities or workflows: move the shared piece down',
      from: { path: INFRASTRUCTURE },
      to: { path: OPERATIONS },
    },
    {
      name: 'library-not-above-activities',
      severity: 'error',
      comment: 'the library (src/ but the CLI, worker and dev stack) must not import activities or workflows at run time',
      from: { path: '^src/', pathNot: '^src/(cli|worker|devstack)/' },
      to: { path: '^(activities|workflows)/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|\\.state|\\.tools)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
