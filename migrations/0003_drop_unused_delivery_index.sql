-- No query reads deliveries by (client_id, billing_unit) since E3 looks a delivery up by its
-- primary key; the index only cost every E1 insert, and it could not hold a {bu} of a few
-- thousand characters (a btree entry is at most 2704 bytes), which E1 must accept and the worker
-- fail with D1 (spec 5.1).
DROP INDEX deliveries_client_bu_idx;
