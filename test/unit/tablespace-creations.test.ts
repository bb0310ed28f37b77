import { createdSince, walCutAt, tablespaceCreations } from '../../src/operations/pitr/tablespace-creations';

/** What pg_waldump 15 printed for a segment holding a CREATE TABLESPACE (checked by hand). */
const DUMPED = [
  'rmgr: Tablespace  len (rec/tot):     47/    47, tx:        738, lsn: 0/07000398, prev 0/070002D8, desc: CREATE 16395 "/tmp/tsprobe/ts2"',
  'rmgr: Tablespace  len (rec/tot):     30/    30, tx:        740, lsn: 0/07000500, prev 0/07000398, desc: DROP 16395',
  'rmgr: Tablespace  len (rec/tot):     52/    52, tx:        741, lsn: 0/07000600, prev 0/07000500, desc: CREATE 16400 "/srv/pg/with "quotes" in it"',
  '',
].join('\n');

describe('tablespaces created in WAL', () => {
  it('reads each CREATE with its oid, location and position; DROPs and other lines are not creations', () => {
    expect(tablespaceCreations(DUMPED)).toEqual([
      { lsn: '0/07000398', oid: 16395, location: '/tmp/tsprobe/ts2' },
      { lsn: '0/07000600', oid: 16400, location: '/srv/pg/with "quotes" in it' },
    ]);
    expect(tablespaceCreations('pg_waldump: error: could not find file "000000010000000000000008"\n')).toEqual([]);
  });

  const made = (lsn: string, oid: number) => ({ lsn, oid, location: '/l' });
  it.each([
    ['made after the start, unknown to the base backup', [made('0/7000398', 1)], { start: { lsn: '0/6000028' } }, [1]],
    ['made before the start (same segment)', [made('0/6000010', 1)], { start: { lsn: '0/6000028' } }, []],
    ['made at the start', [made('0/6000028', 1)], { start: { lsn: '0/6000028' } }, [1]],
    [
      'held by the base backup',
      [made('0/7000398', 1), made('0/7000400', 2)],
      { start: { lsn: '0/6000028' }, tablespaces: [{ oid: 1 }] },
      [2],
    ],
  ])('%s', (_what, creations, base, oids) => {
    expect(createdSince(creations, base).map((c) => c.oid)).toEqual(oids);
  });
});

describe('walCutAt', () => {
  const SEG = 16 * 1024 * 1024;
  it.each([
    [
      'no target: refused (the cut would promote an earlier state without a word)',
      '0/7000398',
      '000000010000000000000007',
      false,
      { refuse: true },
    ],
    [
      'before the base backup stopped: the copy needs it, refused',
      '0/3000100',
      '000000010000000000000003',
      true,
      { refuse: true },
    ],
    ['a target: zeroed from the record on', '0/7000398', '000000010000000000000007', true, { refuse: false, zeroFrom: 0x398 }],
    [
      'a record that began in the segment before: zeroed from the start, its continuation gone',
      '0/6FFFFF8',
      '000000010000000000000007',
      true,
      { refuse: false, zeroFrom: 0 },
    ],
  ])('%s', (_what, creationLsn, segment, hasTarget, decision) => {
    expect(walCutAt({ creationLsn, segment, segmentBytes: SEG, baseStopLsn: '0/4000138', hasTarget })).toEqual(decision);
  });
});
