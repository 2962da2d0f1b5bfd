-- A claim, and the worker's "when is the next job due", read the queue's head, never
-- the whole queue, whatever the statistics said when their plans were made. The
-- worker keeps its plans for its life; tthub_sync_all() fills the queue from empty in
-- seconds, before autoanalyze runs. Counted in buffers (EXPLAIN ANALYZE), not time.
BEGIN;
SELECT plan(9);

-- The buffers a statement reads, its nested statements' included.
CREATE FUNCTION pg_temp.buffers_of(sql text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  p json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ' || sql INTO p;
  RETURN (p -> 0 -> 'Plan' ->> 'Shared Hit Blocks')::bigint + (p -> 0 -> 'Plan' ->> 'Shared Read Blocks')::bigint;
END
$$;

-- Statistics of an empty queue, and the session's plans made on them: the tables as
-- a new install has them (no page yet), analyzed.
TRUNCATE tthub.sync_jobs, tthub.deliveries CASCADE;
ANALYZE tthub.sync_jobs, tthub.deliveries;
SELECT is((SELECT count(*)::int FROM tthub._claim_jobs(4, '1 minute', pg_backend_pid())), 0, 'an empty queue hands out nothing');
SELECT is(tthub._next_job_due_ms(), NULL, 'and has no next job');
-- Six calls, each its own: PL/pgSQL keeps the generic plan of a query with parameters
-- from the sixth call on.
CREATE TEMP TABLE empty_claims (n integer);
DO $$
BEGIN
  FOR i IN 1..6 LOOP
    INSERT INTO empty_claims SELECT count(*) FROM tthub._claim_deliveries(4, 2, '1 minute', pg_backend_pid());
    PERFORM tthub._next_delivery_due_ms(4);
  END LOOP;
END
$$;
SELECT is((SELECT sum(n)::int FROM empty_claims), 0, 'an empty webhook queue hands out nothing, six times');

-- Then 20,000 stores queue a job each (a daily run), the oldest first in line.
INSERT INTO tthub.stores (store_code, store_name)
SELECT 'qh' || lpad(i::text, 5, '0'), 'queue head ' || i FROM generate_series(1, 20000) i;
INSERT INTO tthub.sync_jobs (store_code, snapshot_date, run_after)
SELECT 'qh' || lpad(i::text, 5, '0'), current_date, now() - interval '1 hour' + i * interval '1 ms'
  FROM generate_series(1, 20000) i;

-- Plans made on those statistics sorted every queued job, or checked each one against
-- the running ones by reading the whole table: thousands of buffers a claim here
-- (375,000 at 5,000 jobs in an earlier form of this test). The head is a few pages.
SELECT cmp_ok(pg_temp.buffers_of($$ SELECT * FROM tthub._claim_jobs(1, '1 minute', pg_backend_pid()) $$), '<', 300::bigint,
              'one claim from 20,000 queued jobs reads the head of the queue (under 300 buffers; the table is 290 pages)');
SELECT cmp_ok(pg_temp.buffers_of($$ SELECT tthub._next_job_due_ms() $$), '<', 100::bigint,
              'so does the next job''s due time (under 100)');
SELECT is(tthub._next_job_due_ms(), 0::bigint, 'which is now (the jobs are due)');

-- The same for webhook deliveries: an event of each store (a reconnect asked of all).
INSERT INTO tthub.webhooks (url, secret_enc) VALUES ('https://hooks.example/tthub', '\x00');
INSERT INTO tthub.events (store_code, event) SELECT store_code, 'account.need_reconnect' FROM tthub.stores WHERE store_code LIKE 'qh%';
INSERT INTO tthub.deliveries (store_code, event_id, webhook_id, run_after)
SELECT e.store_code, e.event_id, w.webhook_id, now() - interval '1 hour' + row_number() OVER (ORDER BY e.event_id) * interval '1 ms'
  FROM tthub.events e, tthub.webhooks w WHERE e.store_code LIKE 'qh%' AND w.url = 'https://hooks.example/tthub';
SELECT cmp_ok(pg_temp.buffers_of($$ SELECT * FROM tthub._claim_deliveries(2, 2, '1 minute', pg_backend_pid()) $$), '<', 300::bigint,
              'one claim from 20,000 queued deliveries reads the head of their queue (under 300 buffers)');
SELECT is((SELECT count(*)::int FROM tthub.deliveries WHERE state = 'running'), 2, 'and hands out two');
SELECT cmp_ok(pg_temp.buffers_of($$ SELECT tthub._next_delivery_due_ms(4) $$), '<', 100::bigint,
              'so does the next delivery''s due time, for a webhook below its cap (under 100)');

SELECT * FROM finish();
ROLLBACK;
