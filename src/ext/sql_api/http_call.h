// One TikTok request from a SQL function (OAuth), polled so that a cancel or
// statement timeout interrupts it.
#pragma once

#include "core/tiktok_api.h"

namespace tthub {

tiktok::HttpResponse http_call(const tiktok::HttpRequest &request);

}  // namespace tthub
