#include "ext/sync/video_writer.h"

#include <algorithm>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "core/backoff.h"
#include "ext/pg/spi.h"
#include "ext/sync/job_queue.h"

namespace tthub::videos {
namespace {

// The farthest ahead a refresh plans (refresh::PlanInput::lead): the distance between a
// store's plans is pg_cron's schedule (every 5 minutes by default) or, when the budget
// is short, about the span of budget a plan spends (plan_horizon_ms); a store not planned for longer
// (nothing was due) says nothing about when its next plan comes.
constexpr int64_t kMaxLeadMs = 15 * 60 * 1000;

// The span of budget a refresh job plans: a minute's, or the fresh interval's when
// that is shorter (time compressed: tests, benchmarks). A store's fresh videos are
// observed once per job, so a job longer than the fresh interval stretches the fresh
// tier. Tiers in milliseconds.
int64_t plan_horizon_ms(const refresh::TierSettings &tiers) {
  return std::clamp<int64_t>(tiers.fresh_interval, 1000, 60 * 1000);
}

// Parameters shared by the page statements:
//   $1 store_code, $2 open_id, $3 snapshot_date, $4..$17 the page's columns (below),
//   $18 when the answer arrived (epoch ms), $19 1 when it is a video/list page.
#define PAGE_ROWS                                                                                        \
  "unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::int8[], "       \
  "       $11::int8[], $12::int8[], $13::int8[], $14::int8[], $15::int8[], $16::int8[], $17::int8[]) "  \
  "  AS p(id, title, description, cover, share, embed, created, duration, height, width, views, likes, " \
  "       comments, shares) "
#define OBSERVED_AT "to_timestamp($18 / 1000.0)"

// videos: metadata kept when an answer leaves a field out; the cover only with the
// time TikTok handed it out (it expires 6 h later, reference section 8); a video seen
// again is public again. video_observations: one row per video and answer.
#define VIDEO_CTES                                                                                          \
  "vids AS ( "                                                                                             \
  "  INSERT INTO tthub.videos AS v (store_code, video_id, open_id, title, description, create_time, "      \
  "         duration, height, width, share_url, embed_link, cover_image_url, cover_fetched_at, view_count, " \
  "         like_count, comment_count, share_count, first_seen_at, last_seen_at, last_listed_at, "         \
  "         last_observed_at) "                                                                           \
  "  SELECT $1, p.id, $2, p.title, p.description, to_timestamp(p.created), p.duration::integer, "          \
  "         p.height::integer, p.width::integer, p.share, p.embed, p.cover, "                             \
  "         CASE WHEN p.cover IS NOT NULL THEN " OBSERVED_AT " END, p.views, p.likes, p.comments, p.shares, " \
  "         " OBSERVED_AT ", " OBSERVED_AT ", CASE WHEN $19::int4 = 1 THEN " OBSERVED_AT " END, " OBSERVED_AT \
  "    FROM " PAGE_ROWS                                                                                    \
  "  ON CONFLICT (store_code, video_id) DO UPDATE SET open_id = EXCLUDED.open_id, "                        \
  "    title = coalesce(EXCLUDED.title, v.title), description = coalesce(EXCLUDED.description, v.description), " \
  "    create_time = coalesce(EXCLUDED.create_time, v.create_time), "                                      \
  "    duration = coalesce(EXCLUDED.duration, v.duration), height = coalesce(EXCLUDED.height, v.height), "  \
  "    width = coalesce(EXCLUDED.width, v.width), share_url = coalesce(EXCLUDED.share_url, v.share_url), "  \
  "    embed_link = coalesce(EXCLUDED.embed_link, v.embed_link), "                                         \
  "    cover_image_url = coalesce(EXCLUDED.cover_image_url, v.cover_image_url), "                          \
  "    cover_fetched_at = CASE WHEN EXCLUDED.cover_image_url IS NULL THEN v.cover_fetched_at "            \
  "                            ELSE EXCLUDED.cover_fetched_at END, "                                       \
  "    view_count = coalesce(EXCLUDED.view_count, v.view_count), "                                         \
  "    like_count = coalesce(EXCLUDED.like_count, v.like_count), "                                         \
  "    comment_count = coalesce(EXCLUDED.comment_count, v.comment_count), "                                \
  "    share_count = coalesce(EXCLUDED.share_count, v.share_count), "                                      \
  "    last_seen_at = EXCLUDED.last_seen_at, last_listed_at = coalesce(EXCLUDED.last_listed_at, v.last_listed_at), " \
  "    last_observed_at = EXCLUDED.last_observed_at, removed_at = NULL), "                                 \
  "obs AS ( "                                                                                              \
  "  INSERT INTO tthub.video_observations (store_code, video_id, observed_at, open_id, view_count, "       \
  "         like_count, comment_count, share_count) "                                                     \
  "  SELECT $1, p.id, " OBSERVED_AT ", $2, p.views, p.likes, p.comments, p.shares FROM " PAGE_ROWS         \
  "  ON CONFLICT DO NOTHING) "

// video_daily: one row per video and day, the day's latest observation.
#define DAILY_UPSERT                                                                                        \
  "INSERT INTO tthub.video_daily AS d (store_code, video_id, snapshot_date, open_id, title, description, "  \
  "       cover_image_url, share_url, create_time, duration, view_count, like_count, comment_count, "      \
  "       share_count, created_at, updated_at) "                                                           \
  "SELECT $1, p.id, $3, $2, p.title, p.description, p.cover, p.share, to_timestamp(p.created), "           \
  "       p.duration::integer, p.views, p.likes, p.comments, p.shares, now(), now() FROM " PAGE_ROWS        \
  "ON CONFLICT (store_code, video_id, snapshot_date) DO UPDATE SET "                                       \
  "  open_id = EXCLUDED.open_id, title = EXCLUDED.title, description = EXCLUDED.description, "             \
  "  cover_image_url = EXCLUDED.cover_image_url, share_url = EXCLUDED.share_url, "                         \
  "  create_time = EXCLUDED.create_time, duration = EXCLUDED.duration, view_count = EXCLUDED.view_count, " \
  "  like_count = EXCLUDED.like_count, comment_count = EXCLUDED.comment_count, "                           \
  "  share_count = EXCLUDED.share_count, updated_at = EXCLUDED.updated_at"

// The daily sync's page: $20 pages, $21 videos of the day, $22 complete (1/0), $23 next
// cursor, $24 finished_at (epoch ms, when complete), $25 job_id, $26 the lease in
// seconds. The job's progress is the queue's text (job_queue.h).
#define DAILY_LEDGER_JOB                                                                                   \
  "ledger AS ( "                                                                                           \
  "  UPDATE tthub.sync_ledger SET pages_fetched = $20, videos_seen = $21, complete = $22::int4 = 1, "     \
  "         next_cursor = $23, finished_at = to_timestamp($24 / 1000.0), updated_at = now() "             \
  "   WHERE store_code = $1 AND open_id = $2 AND snapshot_date = $3), "                                    \
  TTHUB_JOB_PROGRESS_CTE("$1", "$25", "$2", "$20", "$21", "$26") " "

constexpr const char *kDailyPage = "WITH " VIDEO_CTES ", " DAILY_LEDGER_JOB DAILY_UPSERT;

// A refresh answer: $20 tier, $21 calls, $22 discovery done (1/0), $23 a pass page
// that did not end the pass (1/0), $24 the pass's cursor, $25 a full pass is due now
// (1/0), $26 job_id, $27 videos the job observed, $28 a user/info answer (1/0), $29 the
// job's list pages, $30 the lease in seconds.
constexpr const char *kRefreshAnswer =
    "WITH " VIDEO_CTES ", daily AS (" DAILY_UPSERT "), "
    "calls AS ( "
    "  INSERT INTO tthub.refresh_calls AS c (store_code, call_date, tier, calls) "
    "  VALUES ($1, (" OBSERVED_AT " AT TIME ZONE 'UTC')::date, $20, $21) "
    "  ON CONFLICT (store_code, call_date, tier) DO UPDATE SET calls = c.calls + EXCLUDED.calls), "
    TTHUB_JOB_PROGRESS_CTE("$1", "$26", "$2", "$29", "$27", "$30") " "
    "INSERT INTO tthub.account_refresh AS r (store_code, open_id, discovered_at, listed_at, list_started_at, "
    "       list_cursor, user_info_at, updated_at) "
    "VALUES ($1, $2, CASE WHEN $22::int4 = 1 THEN " OBSERVED_AT " END, NULL, "
    "        CASE WHEN $23::int4 = 1 THEN " OBSERVED_AT " END, $24, "
    "        CASE WHEN $28::int4 = 1 THEN " OBSERVED_AT " END, " OBSERVED_AT ") "
    "ON CONFLICT ON CONSTRAINT account_refresh_pkey DO UPDATE SET "
    "  discovered_at = coalesce(EXCLUDED.discovered_at, r.discovered_at), "
    "  list_started_at = CASE WHEN $23::int4 = 1 THEN coalesce(r.list_started_at, EXCLUDED.list_started_at) "
    "                         ELSE r.list_started_at END, "
    "  list_cursor = CASE WHEN $23::int4 = 1 THEN EXCLUDED.list_cursor ELSE r.list_cursor END, "
    "  listed_at = CASE WHEN $25::int4 = 1 THEN NULL ELSE r.listed_at END, "
    "  user_info_at = coalesce(EXCLUDED.user_info_at, r.user_info_at), "
    "  updated_at = EXCLUDED.updated_at";

// The page's columns as parameters $4..$17; a video repeated within the answer is
// written once (ON CONFLICT cannot touch one row twice in a statement).
std::vector<spi::Param> page_params(const std::vector<tiktok::Video> &videos, int64_t *distinct) {
  std::vector<std::optional<std::string>> ids, titles, descriptions, covers, shares, embeds;
  std::vector<std::optional<int64_t>> created, durations, heights, widths, views, likes, comments, share_counts;
  std::unordered_set<std::string> seen;
  for (const tiktok::Video &v : videos) {
    if (!seen.insert(v.id).second) continue;
    ids.emplace_back(v.id);
    titles.push_back(v.title);
    descriptions.push_back(v.description);
    covers.push_back(v.cover_image_url);
    shares.push_back(v.share_url);
    embeds.push_back(v.embed_link);
    created.push_back(v.create_time);
    durations.push_back(v.duration);
    heights.push_back(v.height);
    widths.push_back(v.width);
    views.push_back(v.view_count);
    likes.push_back(v.like_count);
    comments.push_back(v.comment_count);
    share_counts.push_back(v.share_count);
  }
  *distinct = static_cast<int64_t>(ids.size());
  return {spi::text_array(ids),       spi::text_array(titles),    spi::text_array(descriptions),
          spi::text_array(covers),    spi::text_array(shares),    spi::text_array(embeds),
          spi::int8_array(created),   spi::int8_array(durations), spi::int8_array(heights),
          spi::int8_array(widths),    spi::int8_array(views),     spi::int8_array(likes),
          spi::int8_array(comments),  spi::int8_array(share_counts)};
}

std::optional<int64_t> opt_int8(std::optional<int64_t> v) { return v; }

}  // namespace

int64_t write_daily_page(const DailyPage &d, const std::vector<tiktok::Video> &videos) {
  int64_t written = 0;
  std::vector<spi::Param> params{spi::text(d.store_code), spi::text(d.open_id), spi::date(d.snapshot_date)};
  for (spi::Param &p : page_params(videos, &written)) params.push_back(p);
  params.push_back(spi::int8(d.now_epoch_ms));
  params.push_back(spi::int4(1));
  params.push_back(spi::int4(d.pages));
  params.push_back(spi::int8(d.videos_before + written));
  params.push_back(spi::int4(d.complete ? 1 : 0));
  params.push_back(spi::int8(d.next_cursor));
  params.push_back(d.complete ? spi::int8(d.now_epoch_ms) : spi::int8(std::optional<int64_t>()));
  params.push_back(spi::int8(d.job_id));
  params.push_back(spi::int8(queue::kLeaseSeconds));
  spi::exec(kDailyPage, params);
  return written;
}

void write_refresh(const RefreshWrite &w, const std::vector<tiktok::Video> &videos) {
  int64_t distinct = 0;
  std::vector<spi::Param> params{spi::text(w.store_code), spi::text(w.open_id), spi::date(w.snapshot_date)};
  for (spi::Param &p : page_params(videos, &distinct)) params.push_back(p);
  params.push_back(spi::int8(w.observed_ms));
  params.push_back(spi::int4(w.listed ? 1 : 0));
  params.push_back(spi::text(refresh::tier_name(w.tier)));
  params.push_back(spi::int8(static_cast<int64_t>(w.calls)));
  params.push_back(spi::int4(w.discovery_done ? 1 : 0));
  params.push_back(spi::int4(w.pass_page ? 1 : 0));
  params.push_back(spi::int8(opt_int8(w.pass_cursor)));
  params.push_back(spi::int4(w.need_pass ? 1 : 0));
  params.push_back(spi::int8(w.job_id));
  params.push_back(spi::int8(w.job_videos));
  params.push_back(spi::int4(w.user_info ? 1 : 0));
  params.push_back(spi::int4(w.job_pages));
  params.push_back(spi::int8(queue::kLeaseSeconds));
  spi::exec(kRefreshAnswer, params);
}

int64_t finish_full_pass(const std::string &store_code, const std::string &open_id,
                         std::optional<int64_t> pass_started_ms, int64_t finished_ms) {
  spi::exec("SELECT tthub._finish_full_pass($1, $2, to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0))",
            {spi::text(store_code), spi::text(open_id), spi::int8(pass_started_ms), spi::int8(finished_ms)});
  return spi::get_int4(0, 1).value_or(0);
}

void ensure_partitions() { spi::exec("SELECT tthub._observation_partitions(3)", {}); }

int drop_old_observations(int retention_seconds) {
  spi::exec("SELECT tthub._drop_old_observations(make_interval(secs => $1))",
            {spi::int8(static_cast<int64_t>(retention_seconds))});
  return spi::get_int4(0, 1).value_or(0);
}

std::map<std::string, refresh::AccountWork> plan_store(const std::string &store_code, int64_t job_id, int64_t now_ms,
                                                       const refresh::TierSettings &tiers,
                                                       const refresh::Budget &budget) {
  // Every time is in epoch milliseconds, the planner's time base here (tiers too): the
  // same instants tthub._due_videos() compares, so both agree on what is due even for
  // intervals of a few seconds.
  // The accounts and where their refresh stands.
  uint64_t n = spi::exec(
      "SELECT a.open_id::text, (extract(epoch FROM r.discovered_at) * 1000)::int8, (extract(epoch FROM r.listed_at) * 1000)::int8, "
      "       r.list_cursor, (extract(epoch FROM r.user_info_at) * 1000)::int8, "
      "       (SELECT count(*) FROM tthub.videos v WHERE v.store_code = $1 AND v.open_id = a.open_id "
      "           AND v.removed_at IS NULL), "
      "       (SELECT (extract(epoch FROM max(v.create_time)) * 1000)::int8 FROM tthub.videos v "
      "         WHERE v.store_code = $1 AND v.open_id = a.open_id AND v.removed_at IS NULL), "
      "       (SELECT count(*) FROM tthub.videos v WHERE v.store_code = $1 AND v.open_id = a.open_id "
      "           AND v.removed_at IS NULL AND r.list_started_at IS NOT NULL AND v.last_listed_at >= r.list_started_at), "
      "       (SELECT u.video_count FROM tthub.user_daily u WHERE u.store_code = $1 AND u.open_id = a.open_id "
      "         ORDER BY u.snapshot_date DESC LIMIT 1), "
      "       (extract(epoch FROM r.list_started_at) * 1000)::int8 "
      "  FROM tthub.store_accounts a "
      "  LEFT JOIN tthub.account_refresh r ON r.store_code = $1 AND r.open_id = a.open_id "
      " WHERE a.store_code = $1 AND a.status IN ('CONNECTED', 'ERROR') "
      " ORDER BY a.open_id",
      {spi::text(store_code)});
  std::vector<refresh::StoreState> states;
  std::vector<std::optional<int64_t>> cursors, pass_started;
  for (uint64_t i = 0; i < n; ++i) {
    refresh::StoreState s;
    s.store_code = spi::get_text(i, 1).value_or("");
    s.last_discovery = spi::get_int8(i, 2);
    s.last_full_pass = spi::get_int8(i, 3);
    std::optional<int64_t> cursor = spi::get_int8(i, 4);
    s.last_user_info = spi::get_int8(i, 5);
    s.video_count = spi::get_int8(i, 6).value_or(0);
    s.newest_create_time = spi::get_int8(i, 7);
    // The account's own count (user/info, the latest read): above what tthub knows, it
    // posted since (discovery first); and a pass reads every video it has, which that
    // count knows better while tthub has not listed them all yet.
    s.reported_video_count = spi::get_int8(i, 9);
    if (cursor) {
      int64_t left = std::max(s.video_count, s.reported_video_count.value_or(0)) - spi::get_int8(i, 8).value_or(0);
      s.full_pass_pages_left = std::max<int64_t>(1, (left + 19) / 20);
    }
    pass_started.push_back(spi::get_int8(i, 10));
    states.push_back(std::move(s));
    cursors.push_back(cursor);
  }
  std::map<std::string, refresh::AccountWork> out;
  if (states.empty()) return out;

  // The budget is shared by every store with a refresh job pending: this job plans its
  // store's share (the others' jobs plan theirs), so the stores' plans together spend
  // the budget rather than each planning all of it and waiting on one another's calls.
  spi::exec("SELECT count(*) FROM tthub.sync_jobs WHERE job_type = 'refresh' AND state IN ('queued', 'running')", {});
  int64_t sharing = std::max<int64_t>(1, spi::get_int8(0, 1).value_or(1));
  double share = 1.0 / static_cast<double>(sharing);
  // How far apart this store's plans are: since its previous refresh job started. What
  // falls due before the next plan is taken now (refresh::PlanInput::lead), so a video
  // is not read its interval plus a plan's distance apart.
  uint64_t previous = spi::exec(
      "SELECT (extract(epoch FROM now() - j.started_at) * 1000)::int8 FROM tthub.sync_jobs j "
      " WHERE j.store_code = $1 AND j.job_type = 'refresh' AND j.job_id < $2 AND j.started_at IS NOT NULL "
      " ORDER BY j.job_id DESC LIMIT 1",
      {spi::text(store_code), spi::int8(job_id)});
  int64_t lead_ms = std::clamp<int64_t>(previous ? spi::get_int8(0, 1).value_or(0) : 0, 0, kMaxLeadMs);

  // The candidates: every video due now, by the same rule as the planner's. Per account,
  // with values: on Citus a function called inside a query over a distributed table
  // runs on a shard, where it may not query the other shards.
  std::unordered_map<std::string, int64_t> created_of;
  int64_t horizon_ms = plan_horizon_ms(tiers);
  double minutes = static_cast<double>(horizon_ms) / 60000.0;
  // The pass reads at most the list share's pages in this plan: videos past those are
  // not its within this plan (refresh::VideoState::pass_rank). The candidates: what the
  // query share can read, and what the pass may take of them.
  int64_t rank_limit = static_cast<int64_t>(std::min<double>(budget.list_per_minute * minutes * share + 2, 50000)) * 20;
  int32_t max_candidates = static_cast<int32_t>(std::min<double>(
      budget.query_per_minute * minutes * share * 20 + 40 + static_cast<double>(rank_limit), 1000000));
  for (size_t a = 0; a < states.size(); ++a) {
    refresh::StoreState &st = states[a];
    n = spi::exec(
        "SELECT q.video_id, (extract(epoch FROM q.create_time) * 1000)::int8, "
        "       (extract(epoch FROM q.last_observed_at) * 1000)::int8 "
        "  FROM tthub._due_videos($1, $2, $3, make_interval(secs => $4 / 1000.0)) q",
        {spi::text(store_code), spi::text(st.store_code), spi::int4(max_candidates), spi::int8(lead_ms)});
    for (uint64_t i = 0; i < n; ++i) {
      refresh::VideoState v;
      v.video_id = spi::get_text(i, 1).value_or("");
      v.create_time = spi::get_int8(i, 2).value_or(0);
      v.last_observed = spi::get_int8(i, 3);
      created_of[v.video_id] = v.create_time;
      st.videos.push_back(std::move(v));
    }
    // Where the pass would read each candidate: only when a pass may be planned.
    bool pass_due = cursors[a] || !st.last_full_pass || now_ms - *st.last_full_pass >= tiers.old_interval;
    if (!pass_due || st.videos.empty()) continue;
    std::unordered_map<std::string, int64_t> rank;
    n = spi::exec(
        "SELECT v.video_id::text FROM tthub.videos v "
        " WHERE v.store_code = $1 AND v.open_id = $2 AND v.removed_at IS NULL "
        "   AND ($3::int8 IS NULL OR v.last_listed_at IS NULL OR v.last_listed_at < to_timestamp($3 / 1000.0)) "
        " ORDER BY v.create_time DESC NULLS LAST, v.video_id LIMIT $4",
        {spi::text(store_code), spi::text(st.store_code), spi::int8(pass_started[a]), spi::int8(rank_limit)});
    for (uint64_t i = 0; i < n; ++i) rank.emplace(spi::get_text(i, 1).value_or(""), static_cast<int64_t>(i));
    bool all_ranked = static_cast<int64_t>(n) < rank_limit;  // every video the pass has left is ranked
    for (refresh::VideoState &v : st.videos) {
      auto r = rank.find(v.video_id);
      // Not ranked: listed by this pass already (it will not read it again), or past the
      // pages any plan of this share could read (unknown: the planner's own rule).
      if (r != rank.end()) v.pass_rank = r->second;
      else if (all_ranked) v.pass_rank = std::numeric_limits<int64_t>::max() / 2;
    }
  }

  // What discovery stops at: each account's newest known videos.
  std::unordered_map<std::string, std::unordered_set<std::string>> known;
  n = spi::exec(
      "SELECT k.open_id::text, k.video_id::text FROM ( "
      "  SELECT v.open_id, v.video_id, row_number() OVER (PARTITION BY v.store_code, v.open_id "
      "                                                   ORDER BY v.create_time DESC NULLS LAST, v.video_id) AS n "
      "    FROM tthub.videos v WHERE v.store_code = $1) k "
      " WHERE k.n <= 50",
      {spi::text(store_code)});
  for (uint64_t i = 0; i < n; ++i)
    known[spi::get_text(i, 1).value_or("")].insert(spi::get_text(i, 2).value_or(""));

  refresh::PlanInput in;
  in.now = now_ms;
  in.tiers = tiers;
  in.budget = budget;
  in.minutes = minutes;  // the rest comes back next round
  in.period = horizon_ms;  // the same span in the plan's time base (milliseconds)
  in.share = share;
  // Fresh work is not held to an equal share (refresh::PlanInput::fresh_share): with a
  // short budget, a store with a fresh video got the share of one with only old ones,
  // and the fresh tier stretched. The rate limiter keeps the endpoints in budget. Its
  // candidates stay capped as above (max_candidates): fresh videos past that wait for the next plan.
  in.fresh_share = 1.0;
  in.lead = lead_ms;
  in.share_unit = jitter_unit();
  refresh::Plan plan = refresh::plan_refresh(states, in);
  for (const refresh::StorePlan &p : plan.stores) {
    const refresh::StoreState &s = states[p.store];
    refresh::AccountWork w;
    w.user_info = p.user_info;
    w.list_pages = p.list_pages;
    // Never listed in full (a new account, or one an update from 0.4 brought): tthub
    // cannot size the pass, so the first one reads to the end (Discovery's rule for a
    // store with no known video); the rate limiter still paces it.
    if (w.list_pages > 0 && !s.last_full_pass && !cursors[p.store])
      w.list_pages = std::numeric_limits<int32_t>::max();
    w.list_cursor = p.list_pages > 0 ? cursors[p.store] : std::nullopt;
    // A pass that starts at the top reads the new videos first: it is the discovery.
    w.discover = p.discover && !(p.list_pages > 0 && !w.list_cursor);
    w.query_batches = p.query_batches;
    for (const auto &batch : w.query_batches) {
      refresh::Tier t = refresh::Tier::kOld;
      for (const std::string &id : batch) {
        auto c = created_of.find(id);
        if (c != created_of.end()) t = std::min(t, refresh::tier_of(c->second, now_ms, tiers));
      }
      w.batch_tiers.push_back(t);
    }
    // A read that stands in for the discovery serves the fresh tier, as a list discovery does.
    w.user_info_tier = p.user_info_discovers ? refresh::Tier::kFresh
                       : s.newest_create_time    ? refresh::tier_of(*s.newest_create_time, now_ms, tiers)
                                                 : refresh::Tier::kOld;
    w.known_ids = std::move(known[s.store_code]);
    // Discovery compares it with TikTok's create_time, in seconds.
    if (s.newest_create_time) w.newest_known_create_time = *s.newest_create_time / 1000;
    out[s.store_code] = std::move(w);
  }
  return out;
}

}  // namespace tthub::videos
