// Finding a store's new videos cheaply (issue 19): video/list is newest first
// (reference section 6), so reading stops at the first video already known. Pure C++:
// the caller fetches each page (with its pacing and retries) and feeds it here.
//
// Interface for the worker (freshness-data):
//   tthub::discovery::Discovery d(is_known, newest_known_create_time);
//   while (d.wants_more()) {
//     page = fetch video/list with cursor d.next_cursor() (nullopt: no cursor, first page)
//     auto got = d.take(page);   // a failed fetch: stop; the next run starts again at the top
//     write got.new_videos (rows for tthub.videos, first seen now) and got.observed (every
//     video on the page, new and known: each is an observation), one statement per page
//   }
//   d.pages(), d.new_count() -> video/list calls spent, new videos found
// Memory stays one page whatever the catalogue's size.
// A store with no known video reads its whole list: that is its first full pass.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tiktok_api.h"

namespace tthub::discovery {

class Discovery {
 public:
  // is_known: whether a video id is already in tthub.videos for this store.
  // newest_known_create_time: the store's newest known create_time; a video older than
  // it cannot be new to discovery (a video made public again, or missed, is found by
  // the full pass), so reading stops there too even if is_known was given a partial set.
  Discovery(std::function<bool(const std::string &)> is_known, std::optional<int64_t> newest_known_create_time);

  bool wants_more() const { return !done_; }
  std::optional<int64_t> next_cursor() const { return cursor_; }
  struct PageResult {
    std::vector<tiktok::Video> new_videos;
    std::vector<tiktok::Video> observed;
  };
  PageResult take(const tiktok::VideoPage &page);

  int pages() const { return pages_; }
  int64_t new_count() const { return new_count_; }
  // Why reading stopped: a known video, the end of the list, or a cursor that did not
  // move back in time (an answer that would page forever).
  enum class Stop { kNotYet, kKnownVideo, kEndOfList, kStalledCursor };
  Stop stopped_by() const { return stop_; }

 private:
  std::function<bool(const std::string &)> is_known_;
  std::optional<int64_t> newest_known_;
  std::optional<int64_t> cursor_;
  std::vector<std::string> last_page_ids_;  // an overlapping next page is not taken twice
  int pages_ = 0;
  int64_t new_count_ = 0;
  bool done_ = false;
  Stop stop_ = Stop::kNotYet;
};

}  // namespace tthub::discovery
