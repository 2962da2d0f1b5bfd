-- Generated from src/extension_sql/0.3--0.4/ by make: edit the fragments there.
\echo Use "ALTER EXTENSION tthub UPDATE" to load this file. \quit

-- src/extension_sql/0.3--0.4/00-version.sql
-- tthub 0.3 -> 0.4: syncs that finish and fill TikTok's budget, alerts and metrics, and
-- Citus. Citus replays ALTER EXTENSION ... UPDATE on every worker node, so each
-- statement here is idempotent (IF NOT EXISTS, OR REPLACE, guarded DO blocks).
