#include "core/discovery.h"

#include <algorithm>

namespace tthub::discovery {

Discovery::Discovery(std::function<bool(const std::string &)> is_known, std::optional<int64_t> newest_known_create_time)
    : is_known_(std::move(is_known)), newest_known_(newest_known_create_time) {}

Discovery::PageResult Discovery::take(const tiktok::VideoPage &page) {
  PageResult out;
  if (done_) return out;
  ++pages_;
  std::vector<std::string> ids;
  for (const tiktok::Video &v : page.videos) {
    bool repeated = std::find(last_page_ids_.begin(), last_page_ids_.end(), v.id) != last_page_ids_.end() ||
                    std::find(ids.begin(), ids.end(), v.id) != ids.end();
    if (repeated) continue;
    ids.push_back(v.id);
    out.observed.push_back(v);
    if (done_) continue;  // past the first known video: older still, observed (it cost nothing), not new
    bool older_than_known = newest_known_ && v.create_time && *v.create_time < *newest_known_;
    if (is_known_(v.id) || older_than_known) {
      stop_ = Stop::kKnownVideo;
      done_ = true;
      continue;
    }
    out.new_videos.push_back(v);
    ++new_count_;
  }
  last_page_ids_ = std::move(ids);
  if (done_) return out;
  if (!page.has_more) {
    stop_ = Stop::kEndOfList;
    done_ = true;
    return out;
  }
  // The cursor pages backwards in time (section 6): one that does not move back would
  // fetch the same page forever.
  if (page.cursor <= 0 || (cursor_ && page.cursor >= *cursor_)) {
    stop_ = Stop::kStalledCursor;
    done_ = true;
    return out;
  }
  cursor_ = page.cursor;
  return out;
}

}  // namespace tthub::discovery
