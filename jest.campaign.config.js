// The fault campaign's long cases (minutes of outage each): `npm run campaign`, not part of
// `npm test`. Same set-up as the workflow layer: the local stack, started or reused.
const base = require('./jest.config.js');
const workflows = base.projects.find((p) => p.displayName === 'workflows');
module.exports = { testTimeout: 15 * 60_000, projects: [{ ...workflows, displayName: 'campaign', testMatch: ['<rootDir>/test/campaign/**/*.test.ts'] }] };
