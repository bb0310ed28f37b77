import { superuserProblem } from '../../src/infra/postgres/superuser-objects';

describe('superuserProblem', () => {
  const app = { name: 'app', superuser: false };
  it.each([
    ['a superuser creates anything', ['event trigger audit'], { name: 'postgres', superuser: true }, undefined],
    ['nothing that needs one', [], app, undefined],
    [
      'one thing',
      ['extension pg_stat_statements'],
      app,
      "the backup's database has what only a superuser may create (extension pg_stat_statements), and app, the user restoring on db:5432, is not one: restore as a superuser (for verifications, the user of VERIFY_DATABASE_URL, or of DATABASE_URL without it)",
    ],
    [
      'three',
      ['extension file_fdw', 'event trigger audit', 'publication everything (FOR ALL TABLES)'],
      app,
      '(extension file_fdw, event trigger audit, publication everything (FOR ALL TABLES)), and app',
    ],
    [
      'more than three',
      [
        'extension a',
        'event trigger b',
        'function public.c(integer) (language c)',
        'function public.d() (language internal)',
        'event trigger e',
      ],
      app,
      '(extension a, event trigger b, function public.c(integer) (language c) and 2 more), and app',
    ],
  ])('%s', (_, needing, user, said) => {
    const problem = superuserProblem(needing, user, 'db:5432');
    if (said === undefined) expect(problem).toBeUndefined();
    else expect(problem).toContain(said);
  });
});
