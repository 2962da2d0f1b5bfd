#include "core/video_query_batch.h"

#include <deque>

namespace tthub::tiktok {

QueryOutcome query_videos(const std::string &base, const std::string &access_token,
                          const std::vector<std::string> &video_ids, const Send &send) {
  QueryOutcome out;
  std::deque<std::vector<std::string>> pending{video_ids};
  while (!pending.empty()) {
    std::vector<std::string> ids = std::move(pending.front());
    pending.pop_front();
    if (ids.empty()) continue;
    ++out.calls;
    Result<VideoQueryAnswer> r = parse_video_query(send(video_query_request(base, access_token, ids)), ids);
    if (r.ok()) {
      for (Video &v : r.value->videos) out.videos.push_back(std::move(v));
      for (std::string &id : r.value->missing) out.missing.push_back(std::move(id));
      continue;
    }
    bool unknown_id = r.failure.kind == FailureKind::kFatal && r.failure.code == kQueryUnknownIdErrorCode;
    if (!unknown_id) {
      out.failure = r.failure;
      return out;  // ids not yet answered stay unobserved: the planner picks them again
    }
    if (ids.size() == 1) {
      out.missing.push_back(std::move(ids[0]));
      continue;
    }
    size_t half = ids.size() / 2;
    pending.emplace_front(ids.begin() + static_cast<std::ptrdiff_t>(half), ids.end());
    pending.emplace_front(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(half));
  }
  return out;
}

}  // namespace tthub::tiktok
