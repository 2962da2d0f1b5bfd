// One TikTok request from a SQL function (OAuth), polled so that a cancel or
// statement timeout interrupts it.
#pragma once

#include "core/http_message.h"

namespace tthub {

HttpResponse http_call(const HttpRequest &request);

}  // namespace tthub
