-- A print shop's database for benchmarks: customers, orders, order items, payments, with the
-- text, jsonb, numeric, timestamps and small bytea columns a real one has. Words come from a
-- small vocabulary and numbers from skewed ranges, so it compresses about as production data
-- does (2.5-4x), not 55x like pgbench. :orders sets the size (about 1.3 KiB per order).
CREATE TABLE customers (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  address text NOT NULL,
  created_at timestamptz NOT NULL,
  notes text
);
CREATE TABLE orders (
  id bigint PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers,
  status text NOT NULL,
  placed_at timestamptz NOT NULL,
  total numeric(12, 2) NOT NULL,
  shipping jsonb NOT NULL,
  note text
);
CREATE TABLE order_items (
  id bigint PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders,
  sku text NOT NULL,
  description text NOT NULL,
  quantity int NOT NULL,
  unit_price numeric(10, 2) NOT NULL,
  options jsonb NOT NULL,
  proof_thumbnail bytea
);
CREATE TABLE payments (
  id bigint PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders,
  method text NOT NULL,
  amount numeric(12, 2) NOT NULL,
  paid_at timestamptz NOT NULL,
  processor_response jsonb NOT NULL
);

CREATE FUNCTION pick(words text[]) RETURNS text LANGUAGE sql VOLATILE AS
  $$ SELECT words[1 + floor(random() * array_length(words, 1))::int] $$;
CREATE FUNCTION phrase(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(pick(ARRAY['poster','matte','gloss','banner','flyer','card','business','wedding','invitation',
    'sticker','vinyl','canvas','A4','A3','A2','A1','folded','premium','recycled','paper','uncoated','satin','lamination',
    'rush','delivery','proof','approved','customer','requested','colour','black','white','cyan','magenta','yellow',
    'double-sided','single-sided','rounded','corners','envelope','letterhead','brochure','catalogue','menu','label',
    'roll','sheet','pack','of','100','250','500','1000','with','and','the','for','please','check','bleed','margin',
    'logo','update','reprint','event','spring','summer','autumn','winter','sale','store','opening']), ' ')
  FROM generate_series(1, n) $$;

INSERT INTO customers
SELECT i,
       pick(ARRAY['Anna','Ben','Carla','David','Elif','Farid','Greta','Hugo','Ines','Jonas','Kira','Luca','Mona','Nils'])
         || ' ' || pick(ARRAY['Schmidt','Meyer','Rossi','Garcia','Novak','Jensen','Kowalski','Dubois','Silva','Berg']),
       'customer' || i || '@' || pick(ARRAY['example.com','mail.test','shop.example','printco.example']),
       (1 + floor(random() * 200))::int || ' ' || pick(ARRAY['Main St','High St','Station Rd','Park Ave','Mill Lane'])
         || ', ' || pick(ARRAY['Berlin','Lyon','Milan','Porto','Gdansk','Aarhus','Leeds','Graz']),
       now() - (random() * interval '1500 days'),
       CASE WHEN random() < 0.3 THEN phrase(8) END
FROM generate_series(1, greatest(1, :orders / 8)) i;

INSERT INTO orders
SELECT i,
       1 + floor(random() * greatest(1, :orders / 8))::bigint,
       pick(ARRAY['paid','paid','paid','shipped','shipped','delivered','delivered','delivered','cancelled','refunded']),
       now() - (random() * interval '1000 days'),
       round((5 + random() * 400)::numeric, 2),
       jsonb_build_object('carrier', pick(ARRAY['DHL','UPS','DPD','GLS','PostNL']), 'service',
         pick(ARRAY['standard','express','economy']), 'tracking', upper(substr(md5(i::text), 1, 12)),
         'address', jsonb_build_object('city', pick(ARRAY['Berlin','Lyon','Milan','Porto','Gdansk']),
           'zip', (10000 + floor(random() * 80000))::int::text)),
       CASE WHEN random() < 0.4 THEN phrase(12) END
FROM generate_series(1, :orders) i;

INSERT INTO order_items
SELECT i,
       1 + (i - 1) / 3,
       'SKU-' || pick(ARRAY['PST','FLY','BCD','BNR','STK','CNV','BRC']) || '-' || (100 + floor(random() * 900))::int,
       phrase(10),
       pick(ARRAY['1','1','1','2','5','10','50','100','250','500'])::int,
       round((0.05 + random() * 60)::numeric, 2),
       jsonb_build_object('paper', pick(ARRAY['matte','gloss','satin','recycled']), 'size',
         pick(ARRAY['A4','A3','A2','A1','85x55']), 'sides', pick(ARRAY['1','2']), 'finish',
         pick(ARRAY['none','lamination','spot UV','foil']), 'proof_approved', random() < 0.9),
       CASE WHEN random() < 0.2 THEN decode(md5(random()::text) || md5(random()::text), 'hex') END
FROM generate_series(1, 3 * :orders) i;

INSERT INTO payments
SELECT i,
       i,
       pick(ARRAY['card','card','card','paypal','invoice','bank transfer']),
       round((5 + random() * 400)::numeric, 2),
       now() - (random() * interval '1000 days'),
       jsonb_build_object('status', pick(ARRAY['approved','approved','approved','captured']), 'reference',
         md5(i::text), 'risk_score', round((random() * 100)::numeric, 1), 'message', phrase(6))
FROM generate_series(1, :orders) i;

DROP FUNCTION phrase(int);
DROP FUNCTION pick(text[]);
VACUUM ANALYZE;
