// Observing chosen videos with video/query (reference section 7), whatever TikTok does
// with an id it no longer shows. Pure C++: the caller passes the transport.
//
// Interface for the worker (freshness-data):
//   auto out = tthub::tiktok::query_videos(base, token, ids, send);   // ids: 1..20 of one store
//   out.videos   -> observations to write (strictly parsed, sanitised, capped)
//   out.missing  -> ids TikTok did not return: NOT proof of deletion (the reference does not
//                   say why an id is left out); mark the store for a full video/list pass,
//                   which alone sets removed_at.
//   out.failure  -> set when a call failed for another reason (429, 5xx, token, malformed):
//                   handle it like any other call's failure; `videos` holds what earlier
//                   calls of the same batch returned, and they are to be written too.
//   out.calls    -> requests sent (1 unless an error forced the batch to be split).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/tiktok_api.h"

namespace tthub::tiktok {

// UNCONFIRMED (reference sections 7 and 12): whether video/query leaves an unknown,
// deleted, private or not-owned id out of its answer, or fails the request. If it
// fails, the error code it uses is not documented either; invalid_params ("bad request
// field ... video_ids", section 4) is the documented code that fits. The one place
// this guess lives.
inline constexpr const char *kQueryUnknownIdErrorCode = "invalid_params";

struct QueryOutcome {
  std::vector<Video> videos;
  std::vector<std::string> missing;
  std::optional<ApiFailure> failure;
  int calls = 0;
};

using Send = std::function<HttpResponse(const HttpRequest &)>;

// Both behaviours are handled: ids left out of an answer are missing; an answer of
// kQueryUnknownIdErrorCode splits the batch in halves until each failing id stands
// alone, and a lone id that fails is missing. At most 2n-1 calls for n ids; a batch
// whose every id is fine costs one call.
QueryOutcome query_videos(const std::string &base, const std::string &access_token,
                          const std::vector<std::string> &video_ids, const Send &send);

}  // namespace tthub::tiktok
