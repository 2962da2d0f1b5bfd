#include "ext/sync/snapshot_writer.h"

#include <unordered_set>

#include "ext/config/installed_sql.h"
#include "ext/pg/spi.h"
#include "ext/sync/job_queue.h"
#include "ext/sync/video_writer.h"

namespace tthub::snapshots {

void write_user(const Target &t, const tiktok::UserInfo &u) {
  spi::exec(
      "INSERT INTO tthub.user_daily AS d (store_code, open_id, snapshot_date, display_name, avatar_url, "
      "       follower_count, following_count, likes_count, video_count, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now(), now()) "
      "ON CONFLICT (store_code, open_id, snapshot_date) DO UPDATE SET "
      "  display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url, "
      "  follower_count = EXCLUDED.follower_count, following_count = EXCLUDED.following_count, "
      "  likes_count = EXCLUDED.likes_count, video_count = EXCLUDED.video_count, "
      "  updated_at = EXCLUDED.updated_at",
      {spi::text(t.store_code), spi::text(t.open_id), spi::date(t.snapshot_date), spi::text(u.display_name),
       spi::text(u.avatar_url), spi::int8(u.follower_count), spi::int8(u.following_count),
       spi::int8(u.likes_count), spi::int8(u.video_count)});
}

int32_t today(const std::string &store_code) {
  // SQL older than 0.5 (before ALTER EXTENSION tthub UPDATE) has no per-store day:
  // every store's day is then tthub.snapshot_timezone's.
  if (installed::sql().has_store_days()) {
    spi::exec("SELECT tthub.store_today($1::text)", {spi::text(store_code)});
  } else {
    spi::exec("SELECT tthub.snapshot_today()", {});
  }
  return spi::get_int4(0, 1).value_or(0);  // DateADT is an int4
}

Checkpoint ledger_open(const Target &t) {
  if (!t.checkpoints) {  // the extension's SQL predates 0.4: no checkpoint column yet
    spi::exec(
        "INSERT INTO tthub.sync_ledger AS l (store_code, open_id, snapshot_date, job_id, pages_fetched, "
        "       videos_seen, complete, started_at, finished_at, updated_at) "
        "VALUES ($1, $2, $3, $4, 0, 0, false, now(), NULL, now()) "
        "ON CONFLICT (store_code, open_id, snapshot_date) DO UPDATE SET job_id = EXCLUDED.job_id, "
        "  pages_fetched = 0, videos_seen = 0, complete = false, started_at = EXCLUDED.started_at, "
        "  finished_at = NULL, updated_at = EXCLUDED.updated_at",
        {spi::text(t.store_code), spi::text(t.open_id), spi::date(t.snapshot_date), spi::int8(t.job_id)});
    return {};
  }
  // A complete day starts over (a new snapshot of the same day); an incomplete one
  // with a checkpoint keeps its counts and cursor, to be continued.
  spi::exec(
      "INSERT INTO tthub.sync_ledger AS l (store_code, open_id, snapshot_date, job_id, pages_fetched, "
      "       videos_seen, complete, next_cursor, started_at, finished_at, updated_at) "
      "VALUES ($1, $2, $3, $4, 0, 0, false, NULL, now(), NULL, now()) "
      "ON CONFLICT (store_code, open_id, snapshot_date) DO UPDATE SET job_id = EXCLUDED.job_id, "
      "  pages_fetched = CASE WHEN l.complete OR l.next_cursor IS NULL THEN 0 ELSE l.pages_fetched END, "
      "  videos_seen = CASE WHEN l.complete OR l.next_cursor IS NULL THEN 0 ELSE l.videos_seen END, "
      "  next_cursor = CASE WHEN l.complete THEN NULL ELSE l.next_cursor END, "
      "  complete = false, started_at = EXCLUDED.started_at, finished_at = NULL, updated_at = EXCLUDED.updated_at "
      "RETURNING pages_fetched, videos_seen, next_cursor",
      {spi::text(t.store_code), spi::text(t.open_id), spi::date(t.snapshot_date), spi::int8(t.job_id)});
  Checkpoint c;
  c.pages = spi::get_int4(0, 1).value_or(0);
  c.videos = spi::get_int8(0, 2).value_or(0);
  c.next_cursor = spi::get_int8(0, 3);
  return c;
}

// The ledger and job CTEs of a page's statement (the job's progress is the queue's
// text, job_queue.h); the checkpoint column is named only when the extension's SQL
// has it (0.4 on).
#define WITH_LEDGER(CURSOR)                                                                         \
  "WITH ledger AS ( "                                                                              \
  "  UPDATE tthub.sync_ledger SET pages_fetched = $15, videos_seen = $16, complete = $17::int4 = 1, " \
  "         " CURSOR "finished_at = to_timestamp($19 / 1000.0), updated_at = now() "              \
  "   WHERE store_code = $1 AND open_id = $2 AND snapshot_date = $3), "                  \
  TTHUB_JOB_PROGRESS_CTE("$1", "$20", "$2", "$15", "$16", "$21") " "
#define kUpsertPage                                                                                \
  "INSERT INTO tthub.video_daily AS d (store_code, video_id, snapshot_date, open_id, title, description, " \
  "       cover_image_url, share_url, create_time, duration, view_count, like_count, comment_count, " \
  "       share_count, created_at, updated_at) "                                                   \
  "SELECT $1, p.id, $3, $2, p.title, p.description, p.cover, p.share, to_timestamp(p.created), "   \
  "       p.duration::integer, p.views, p.likes, p.comments, p.shares, now(), now() "              \
  "  FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[], $10::int8[], " \
  "              $11::int8[], $12::int8[], $13::int8[], $14::int8[]) "                             \
  "       AS p(id, title, description, cover, share, created, duration, views, likes, comments, shares) " \
  "ON CONFLICT (store_code, video_id, snapshot_date) DO UPDATE SET "                               \
  "  open_id = EXCLUDED.open_id, title = EXCLUDED.title, description = EXCLUDED.description, "     \
  "  cover_image_url = EXCLUDED.cover_image_url, share_url = EXCLUDED.share_url, "                 \
  "  create_time = EXCLUDED.create_time, duration = EXCLUDED.duration, view_count = EXCLUDED.view_count, " \
  "  like_count = EXCLUDED.like_count, comment_count = EXCLUDED.comment_count, "                   \
  "  share_count = EXCLUDED.share_count, updated_at = EXCLUDED.updated_at"

int64_t write_page(const Target &t, const tiktok::VideoPage &page, const PageProgress &p) {
  if (t.videos)  // 0.5: the same statement also writes tthub.videos and video_observations
    return videos::write_daily_page({t.store_code, t.open_id, t.snapshot_date, t.job_id, p.pages, p.videos_before,
                                     p.complete, p.next_cursor, p.now_epoch_ms, t.checkpoints},
                                    page.videos);
  std::vector<std::optional<std::string>> ids, titles, descriptions, covers, shares;
  std::vector<std::optional<int64_t>> created, durations, views, likes, comments, share_counts;
  std::unordered_set<std::string> seen;  // ON CONFLICT cannot touch one row twice in a statement
  for (const tiktok::Video &v : page.videos) {
    if (!seen.insert(v.id).second) continue;
    ids.emplace_back(v.id);
    titles.push_back(v.title);
    descriptions.push_back(v.description);
    covers.push_back(v.cover_image_url);
    shares.push_back(v.share_url);
    created.push_back(v.create_time);
    durations.push_back(v.duration);
    views.push_back(v.view_count);
    likes.push_back(v.like_count);
    comments.push_back(v.comment_count);
    share_counts.push_back(v.share_count);
  }
  // Every distinct id is inserted or updated: the page writes ids.size() rows.
  int64_t written = static_cast<int64_t>(ids.size());
  int64_t videos = p.videos_before + written;
  // One statement per page: the videos, the ledger's checkpoint and the job's
  // progress commit together in one round trip. Timestamps that depend on the
  // outcome come in as parameters (Citus refuses now() inside CASE in an UPDATE).
  std::vector<spi::Param> params{
      spi::text(t.store_code), spi::text(t.open_id), spi::date(t.snapshot_date), spi::text_array(ids),
      spi::text_array(titles), spi::text_array(descriptions), spi::text_array(covers), spi::text_array(shares),
      spi::int8_array(created), spi::int8_array(durations), spi::int8_array(views), spi::int8_array(likes),
      spi::int8_array(comments), spi::int8_array(share_counts), spi::int4(p.pages), spi::int8(videos),
      spi::int4(p.complete ? 1 : 0), spi::int8(p.next_cursor),
      p.complete ? spi::int8(p.now_epoch_ms) : spi::int8(std::optional<int64_t>()), spi::int8(t.job_id),
      spi::int8(queue::kLeaseSeconds)};
  if (t.checkpoints)
    spi::exec(WITH_LEDGER("next_cursor = $18, ") kUpsertPage, params);
  else  // the extension's SQL predates 0.4: $18 goes unused
    spi::exec(WITH_LEDGER("") kUpsertPage, params);
  return written;
}

}  // namespace tthub::snapshots
