-- A batch's results say what each item went from and to, beside its unit
-- and kind (read from the item itself).
ALTER TABLE batch_items ADD COLUMN from_state TEXT;
ALTER TABLE batch_items ADD COLUMN to_state TEXT;
