-- Sample data for the quick start and benchmarks: a small print shop (customers, products,
-- orders, payments). Idempotent: it fills the tables only when they are empty.
CREATE TABLE IF NOT EXISTS customers (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS products (
  sku text PRIMARY KEY,
  title text NOT NULL,
  price numeric(10,2) NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS orders (
  id bigserial PRIMARY KEY,
  customer_id bigint NOT NULL REFERENCES customers(id),
  status text NOT NULL,
  placed_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS order_items (
  order_id bigint NOT NULL REFERENCES orders(id),
  sku text NOT NULL REFERENCES products(sku),
  quantity int NOT NULL,
  PRIMARY KEY (order_id, sku)
);
CREATE TABLE IF NOT EXISTS payments (
  id bigserial PRIMARY KEY,
  order_id bigint NOT NULL REFERENCES orders(id),
  amount numeric(10,2) NOT NULL,
  paid_at timestamptz NOT NULL
);
INSERT INTO customers (name, email, created_at)
SELECT 'Customer ' || g, 'customer' || g || '@example.com', TIMESTAMPTZ '2025-01-01' + g * INTERVAL '37 minutes'
  FROM generate_series(1, 2000) g WHERE NOT EXISTS (SELECT 1 FROM customers);
INSERT INTO products (sku, title, price, attributes)
SELECT 'PRINT-' || g, 'Poster ' || g, 9.99 + g % 40, jsonb_build_object('size', (ARRAY['A4','A3','A2','A1'])[1 + g % 4], 'paper', 'matte')
  FROM generate_series(1, 200) g WHERE NOT EXISTS (SELECT 1 FROM products);
INSERT INTO orders (customer_id, status, placed_at)
SELECT 1 + g % 2000, (ARRAY['new','paid','shipped','delivered'])[1 + g % 4], TIMESTAMPTZ '2025-02-01' + g * INTERVAL '11 minutes'
  FROM generate_series(1, 20000) g WHERE NOT EXISTS (SELECT 1 FROM orders);
INSERT INTO order_items (order_id, sku, quantity)
SELECT o.id, 'PRINT-' || (1 + (o.id * k) % 200), 1 + k
  FROM orders o CROSS JOIN generate_series(1, 2) k
 WHERE NOT EXISTS (SELECT 1 FROM order_items)
ON CONFLICT DO NOTHING;
INSERT INTO payments (order_id, amount, paid_at)
SELECT id, 19.99 + id % 100, placed_at + INTERVAL '5 minutes' FROM orders WHERE status <> 'new' AND NOT EXISTS (SELECT 1 FROM payments);
