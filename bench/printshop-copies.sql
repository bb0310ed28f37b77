-- A larger print shop from a generated one (bench/printshop.sql with :base orders), in minutes
-- instead of hours: :copies - 1 more copies of every row with ids shifted past the originals.
-- Copies lie about 1 GiB apart, far beyond any compressor's window (zstd -1: 1 MiB, gzip: 32 KiB),
-- so the data compresses as the generated rows do.
INSERT INTO customers
SELECT c.id + k * (:base / 8), c.name, c.email, c.address, c.created_at, c.notes
FROM generate_series(1, :copies - 1) k, customers c;

INSERT INTO orders
SELECT o.id + k * :base, o.customer_id + k * (:base / 8), o.status, o.placed_at, o.total, o.shipping, o.note
FROM generate_series(1, :copies - 1) k, orders o;

INSERT INTO order_items
SELECT i.id + k * 3 * :base, i.order_id + k * :base, i.sku, i.description, i.quantity, i.unit_price, i.options, i.proof_thumbnail
FROM generate_series(1, :copies - 1) k, order_items i;

INSERT INTO payments
SELECT p.id + k * :base, p.order_id + k * :base, p.method, p.amount, p.paid_at, p.processor_response
FROM generate_series(1, :copies - 1) k, payments p;

VACUUM ANALYZE;
