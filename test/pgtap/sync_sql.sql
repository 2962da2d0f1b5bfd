-- The sync engine's SQL surface: privileges, validation, views.
BEGIN;
SELECT plan(36);

INSERT INTO tthub.stores (store_code, store_name) VALUES ('tap-sync', 'pgTAP sync');

-- Import: validation first, then encrypted storage.
SELECT throws_ok($$ SELECT tthub.tthub_import_account('nosuch', 'o', 'a', 'r', 60, 60, 's') $$, 'P0002', NULL, 'import into an unknown store');
SELECT throws_ok($$ SELECT tthub.tthub_import_account('Bad Store', 'o', 'a', 'r', 60, 60, 's') $$, '22023', NULL, 'import with an invalid store code');
SELECT throws_ok($$ SELECT tthub.tthub_import_account('tap-sync', 'o', '', 'r', 60, 60, 's') $$, '22023', NULL, 'import without an access token');
SELECT throws_ok($$ SELECT tthub.tthub_import_account('tap-sync', 'o', 'a', 'r', 0, 60, 's') $$, '22023', NULL, 'import with a zero lifetime');
SELECT throws_ok($$ SELECT tthub.tthub_import_account('tap-sync', '', 'a', 'r', 60, 60, 's') $$, '22023', NULL, 'import without open_id');
SELECT lives_ok($$ SELECT tthub.tthub_import_account('tap-sync', 'o1', 'act.tap', 'rft.tap', 3600, 86400, 'video.list') $$, 'import an account');
SELECT is((SELECT status::text || '/' || (token_expires_at > now() + interval '59 minutes')::text
             FROM tthub.store_accounts WHERE store_code = 'tap-sync'), 'CONNECTED/true', 'imported as CONNECTED with its expiry');
SELECT is((SELECT tthub.tthub_decrypt_token(refresh_token_enc, tthub.token_context('tap-sync', 'o1', 'refresh_token'))
             FROM tthub.store_accounts WHERE store_code = 'tap-sync'), 'rft.tap', 'the refresh token is stored encrypted under its context');

-- What tthub_sync and tthub_sync_now refuse before anything runs.
SELECT throws_ok($$ SELECT tthub.tthub_sync('Bad Code!') $$, '22023', NULL, 'enqueuing with an invalid store code is refused (22023)');
SELECT throws_ok($$ SELECT tthub.tthub_sync('nosuch') $$, 'P0002', NULL, 'enqueuing an unknown store is refused (P0002)');
SELECT throws_ok($$ SELECT * FROM tthub.tthub_sync_now('nosuch') $$, 'P0002', NULL, 'tthub_sync_now refuses an unknown store');
INSERT INTO tthub.stores (store_code, store_name) VALUES ('tap-empty', 'no accounts');
SELECT throws_ok($$ SELECT tthub.tthub_sync('tap-empty') $$, '55000', NULL, 'a store without connected accounts is refused (55000)');

-- Enqueue.
SELECT ok(tthub.tthub_sync('tap-sync') = tthub.tthub_sync('tap-sync'), 'enqueuing twice returns one pending job');
SELECT is((SELECT count(*)::int FROM tthub.sync_jobs WHERE store_code = 'tap-sync' AND state = 'queued'), 1, 'one queued job');
SELECT is((SELECT snapshot_date FROM tthub.sync_jobs WHERE store_code = 'tap-sync'), tthub.snapshot_today(), 'for today''s snapshot');
SELECT is((SELECT jobs FROM tthub.job_queue WHERE state = 'queued') >= 1, true, 'job_queue counts it');
SELECT is((SELECT count(*)::int FROM tthub.job_queue), 6, 'job_queue has a row for every state');
SELECT throws_ok($$ SELECT tthub.tthub_retry_job(-1) $$, 'P0002', NULL, 'retrying an unknown job');

-- Retention: finished jobs and logs older than the retention go; the rest stays.
INSERT INTO tthub.sync_jobs (store_code, snapshot_date, state, finished_at)
VALUES ('tap-sync', current_date - 40, 'done', now() - interval '40 days'),
       ('tap-sync', current_date - 2, 'done', now() - interval '2 days');
INSERT INTO tthub.sync_logs (store_code, job_type, status, started_at)
VALUES ('tap-sync', 'daily_sync', 'SUCCESS', now() - interval '40 days'),
       ('tap-sync', 'daily_sync', 'SUCCESS', now() - interval '2 days');
SELECT is(tthub._prune(30), 2::bigint, 'pruning deletes the old finished job and the old log');
SELECT is((SELECT count(*)::int FROM tthub.sync_jobs WHERE store_code = 'tap-sync'), 2, 'the recent job and the queued one stay');
SELECT is((SELECT count(*)::int FROM tthub.sync_logs WHERE store_code = 'tap-sync'), 1, 'the recent log stays');

-- Claiming: one job per store per claim, none of a store that has a running job.
INSERT INTO tthub.stores (store_code, store_name) VALUES ('tap-claim', 'claim'), ('tap-claim-2', 'claim 2');
INSERT INTO tthub.sync_jobs (store_code, snapshot_date, run_after)
VALUES ('tap-claim', current_date - 1, now() - interval '2 minutes'),
       ('tap-claim', current_date, now() - interval '1 minute'),
       ('tap-claim-2', current_date, now() - interval '1 minute');
CREATE TEMP TABLE claimed AS SELECT * FROM tthub._claim_jobs(8, '1 minute', pg_backend_pid());
SELECT is((SELECT count(*)::int FROM claimed WHERE store_code = 'tap-claim'), 1, 'a claim hands out one job of a store with two due');
SELECT is((SELECT snapshot_date FROM claimed WHERE store_code = 'tap-claim'), current_date - 1, 'the one due first');
SELECT is((SELECT count(*)::int FROM claimed WHERE store_code = 'tap-claim-2'), 1, 'and one of every other store');
SELECT is((SELECT count(*)::int FROM tthub._claim_jobs(8, '1 minute', pg_backend_pid()) WHERE store_code = 'tap-claim'), 0,
          'nothing of a store that has a running job');
-- A running job whose pid now belongs to a backend that started after it is an orphan.
UPDATE tthub.sync_jobs SET started_at = (SELECT backend_start - interval '1 minute' FROM pg_stat_activity WHERE pid = pg_backend_pid())
 WHERE store_code = 'tap-claim-2' AND state = 'running';
SELECT is(tthub._requeue_orphans(5), 1, 'a job whose pid was reused is requeued; the live ones stay');

-- Roles.
SET LOCAL ROLE tthub_reader;
SELECT lives_ok($$ SELECT * FROM tthub_reporting.sync_jobs, tthub_reporting.sync_ledger LIMIT 1 $$, 'reader reads jobs and the ledger');
SELECT lives_ok($$ SELECT * FROM tthub_reporting.sync_progress, tthub_reporting.job_queue, tthub_reporting.dead_jobs LIMIT 1 $$, 'reader reads the queue views');
SELECT throws_ok($$ SELECT tthub.tthub_sync('tap-sync') $$, '42501', NULL, 'reader cannot enqueue');
SELECT throws_ok($$ SELECT tthub.tthub_sync_all() $$, '42501', NULL, 'reader cannot enqueue all');
SELECT throws_ok($$ SELECT tthub.tthub_import_account('tap-sync', 'o2', 'a', 'r', 60, 60, 's') $$, '42501', NULL, 'reader cannot import');
RESET ROLE;
SET LOCAL ROLE tthub_admin;
SELECT lives_ok($$ SELECT tthub.tthub_sync('tap-sync') $$, 'admin enqueues');
SELECT lives_ok($$ SELECT tthub.tthub_import_account('tap-sync', 'o2', 'act.2', 'rft.2', 60, 60, 's') $$, 'admin imports');
SELECT throws_ok($$ SELECT * FROM tthub.tthub_sync_now('tap-sync') $$, '42501', NULL, 'tthub_sync_now is for superusers');
SELECT throws_ok($$ SELECT * FROM tthub._claim_jobs(1, '1 minute', 0) $$, '42501', NULL, 'admin cannot claim jobs like the worker');
SELECT throws_ok($$ UPDATE tthub.sync_jobs SET state = 'done' $$, '42501', NULL, 'admin cannot edit jobs directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
