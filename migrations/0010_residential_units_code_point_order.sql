-- The UVI recipients (spec 10.3) are listed by billing unit, then residential unit, compared by
-- code point, and read in keyset pages (src/db/repositories/uvi-recipients.ts). Without an index
-- in that order every page sorts all remaining units (about 0.5 s per page at a million units);
-- with it a page reads only its own units (bench/uvi-memory.ts --with-index: 1M units in 35 s
-- instead of 82 s).
CREATE INDEX residential_units_code_point_order_idx
  ON residential_units (billing_unit COLLATE "C", mscnumber COLLATE "C");
