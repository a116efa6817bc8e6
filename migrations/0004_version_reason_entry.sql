-- The archive entry a rejection names (the offending path, capped by the code that writes it),
-- beside its reason code and detail. NULL when the rejection names no entry.
ALTER TABLE versions ADD COLUMN reason_entry TEXT;
