-- SQLite has no notifications: consoles watch PRAGMA data_version instead.
-- This migration keeps the two backends' version numbers in step.
SELECT 1;
