// Canned HTTP responses for the unit tests.
#pragma once

#include <string>

#include "core/tiktok_api.h"

namespace testing_fixtures {

inline tthub::HttpResponse resp(long status, std::string body) {
  tthub::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace testing_fixtures
