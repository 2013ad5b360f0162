-- A batch keeps its item list in its own row ([[id, version], ...]); a
-- result row is written only when its item is decided, in the item's own
-- transaction: one write per item instead of a pending row and its update.
ALTER TABLE batches ADD COLUMN items TEXT;
