/**
 * How a restored database takes its name, on the real PostgreSQL: both renames and the comment,
 * or nothing. The second rename refused (somebody is in the restored database) leaves the live
 * database under its name; before the swap was one transaction, the live one had already moved
 * aside. A new database's name taken meanwhile leaves the restored one under its working name,
 * still marked. Only the database a restore made (by its oid) is swapped in or dropped: another
 * attempt's under the same name is left alone.
 */
import { connectDatabase } from '../../src/infra/postgres/client';
import { swapDatabases } from '../../src/infra/postgres/swap-databases';
import { databaseOid, dropDatabaseIfStill } from '../../src/infra/postgres/database-identity';
import { createDatabase, dropDatabase, stackServer, uniqueDatabaseName, withClient } from '../support/databases';

const live = uniqueDatabaseName('swaplive');
const restored = `${live}_restored`;
const kept = `${live}_kept`;
const names = () =>
  withClient('postgres', async (c) =>
    (
      await c.query<{ d: string }>('SELECT datname AS d FROM pg_database WHERE datname LIKE $1 ORDER BY 1', [`${live}%`])
    ).rows.map((r) => r.d),
  );

let restoredOid: string;
const oidOf = (name: string) => withClient('postgres', async (c) => (await databaseOid(c, name))!);

const MARK = 'pgwarden restore restore-x run-1';
const comments = () =>
  withClient('postgres', async (c) =>
    Object.fromEntries(
      (
        await c.query<{ d: string; c: string | null }>(
          `SELECT datname AS d, shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname LIKE $1`,
          [`${live}%`],
        )
      ).rows.map((r) => [r.d, r.c]),
    ),
  );

beforeEach(async () => {
  for (const d of [live, restored, kept]) await dropDatabase(d);
  await createDatabase(live);
  await createDatabase(restored);
  await withClient(restored, (c) => c.query('CREATE TABLE marker AS SELECT 1 AS restored'));
  await withClient('postgres', (c) => c.query(`COMMENT ON DATABASE ${c.escapeIdentifier(restored)} IS '${MARK}'`));
  restoredOid = await oidOf(restored);
});
afterAll(async () => {
  for (const d of [live, restored, kept]) await dropDatabase(d);
});

it("moves the live database aside and the restored one into its name, with the backup's comment for the mark", async () => {
  await withClient('postgres', (admin) =>
    swapDatabases(admin, { live, restored, restoredOid, keptAs: kept, comment: "the shop's orders" }),
  );
  expect(await names()).toEqual([live, kept].sort());
  expect(await withClient(live, async (c) => (await c.query('SELECT restored FROM marker')).rows)).toEqual([{ restored: 1 }]);
  expect(await comments()).toEqual({ [live]: "the shop's orders", [kept]: null });
});

it('names a new database, and when the name was taken meanwhile leaves both as they were, the restored one still marked', async () => {
  await dropDatabase(live);
  await withClient('postgres', (admin) => swapDatabases(admin, { live, restored, restoredOid, keptAs: null, comment: null }));
  expect(await comments()).toEqual({ [live]: null });

  await dropDatabase(live);
  await createDatabase(restored);
  await withClient('postgres', (c) => c.query(`COMMENT ON DATABASE ${c.escapeIdentifier(restored)} IS '${MARK}'`));
  restoredOid = await oidOf(restored);
  await createDatabase(live);
  await withClient('postgres', async (admin) => {
    await expect(swapDatabases(admin, { live, restored, restoredOid, keptAs: null, comment: 'theirs?' })).rejects.toMatchObject({
      code: '42P04',
    });
    expect((await admin.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });
  expect(await comments()).toEqual({ [live]: null, [restored]: MARK });
});

it("sets the comment as the owner it is given, so a member of the owner's role can (the mark stays if it cannot)", async () => {
  const owner = `${live}_owner`;
  await withClient('postgres', async (c) => {
    await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(owner)}`);
    await c.query(`CREATE ROLE ${c.escapeIdentifier(owner)}`);
    await c.query(`ALTER DATABASE ${c.escapeIdentifier(restored)} OWNER TO ${c.escapeIdentifier(owner)}`);
  });
  try {
    await withClient('postgres', async (admin) => {
      await expect(
        swapDatabases(admin, { live, restored, restoredOid, keptAs: kept, comment: 'x', commentAs: `${owner}_missing` }),
      ).rejects.toThrow(/does not exist/);
      expect((await admin.query('SELECT current_user = session_user AS same')).rows).toEqual([{ same: true }]);
    });
    expect(await comments()).toEqual({ [live]: null, [restored]: MARK });
    await withClient('postgres', async (admin) => {
      await swapDatabases(admin, { live, restored, restoredOid, keptAs: kept, comment: 'the shop', commentAs: owner });
      // The connection is the session user's own again after the transaction.
      expect((await admin.query('SELECT current_user = session_user AS same')).rows).toEqual([{ same: true }]);
    });
    expect(await comments()).toEqual({ [live]: 'the shop', [kept]: null });
  } finally {
    await dropDatabase(live);
    await withClient('postgres', (c) => c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(owner)}`));
  }
});

it('renames nothing when the second rename is refused, and the admin connection is usable after', async () => {
  const inside = await connectDatabase(stackServer(), { database: restored });
  try {
    await withClient('postgres', async (admin) => {
      await expect(swapDatabases(admin, { live, restored, restoredOid, keptAs: kept, comment: null })).rejects.toThrow(
        /being accessed by other users/,
      );
      expect((await admin.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    });
  } finally {
    await inside.end();
  }
  expect(await names()).toEqual([live, restored].sort());
});

it('with nothing to keep (a server that lost the database), only names the restored one', async () => {
  await dropDatabase(live);
  await withClient('postgres', (admin) => swapDatabases(admin, { live, restored, restoredOid, keptAs: null, comment: null }));
  expect(await names()).toEqual([live]);
});

it('swaps nothing when the database under the restored name is another one than the restore loaded (a later attempt made it again)', async () => {
  await dropDatabase(restored);
  await createDatabase(restored);
  await withClient('postgres', async (admin) => {
    await expect(swapDatabases(admin, { live, restored, restoredOid, keptAs: kept, comment: null })).rejects.toThrow(
      `database "${restored}" is no longer the one this attempt loaded (another attempt of the restore made it again); nothing was swapped`,
    );
  });
  expect(await names()).toEqual([live, restored].sort());
});

it('drops a database only while it is still the one made, whatever its name holds now', async () => {
  const first = restoredOid;
  await dropDatabase(restored);
  await createDatabase(restored);
  expect(await withClient('postgres', (admin) => dropDatabaseIfStill(admin, stackServer(), restored, first))).toBe(false);
  expect(await names()).toEqual([live, restored].sort());
  expect(
    await withClient('postgres', async (admin) => dropDatabaseIfStill(admin, stackServer(), restored, await oidOf(restored))),
  ).toBe(true);
  expect(await names()).toEqual([live]);
});
