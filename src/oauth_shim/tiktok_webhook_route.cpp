#include "tiktok_webhook_route.h"

#include <nlohmann/json.hpp>

#include "pages.h"

namespace shim {
namespace {

void answer(httplib::Response &res, int status, const std::string &code, const std::string &message) {
  res.status = status;
  if (status == 200)
    res.set_content(nlohmann::json{{"ok", true}, {"outcome", message}}.dump(), "application/json");
  else
    res.set_content(problem_json({status, code, message}), "application/json");
}

const char *code_for(int status) {
  switch (status) {
    case 400: return "malformed_event";
    case 401: return "invalid_signature";
    case 413: return "request_too_large";
    default: return "internal_error";
  }
}

}  // namespace

void install_tiktok_webhook(Router &router, Database &db, const std::string &path) {
  router.Post(path, [&db](const httplib::Request &req, httplib::Response &res) {
    if (req.body.size() > kTikTokWebhookMaxBody) {  // the front refuses these first
      answer(res, 413, "request_too_large", "The request body is too large.");
      return;
    }
    // At most one TikTok-Signature header: two would leave which one counts to chance.
    if (req.get_header_value_count("TikTok-Signature") > 1) {
      answer(res, 401, "invalid_signature", "The request has more than one TikTok-Signature header.");
      return;
    }
    WebhookResult r = db.tiktok_webhook(req.get_header_value("TikTok-Signature"), req.body);
    if (!r.ok) {
      // Not recorded: TikTok retries for 72 hours, and the event is applied then.
      res.set_header("Retry-After", "5");
      const std::string &state = r.error.sqlstate;
      if (state.empty() || state == "55P03" || state == "57014")  // down, a lock or the time budget
        answer(res, 503, "service_busy", "The event could not be recorded now; send it again.");
      else
        answer(res, 500, "internal_error", "The event could not be recorded.");
      return;
    }
    int status = r.http_status == 200 || r.http_status == 400 || r.http_status == 401 || r.http_status == 413
                     ? r.http_status
                     : 500;
    answer(res, status, code_for(status), r.outcome);
  });
  auto not_allowed = [](const httplib::Request &, httplib::Response &res) {
    res.set_header("Allow", "POST");
    answer(res, 405, "method_not_allowed", "TikTok's webhook takes POST only.");
  };
  router.Get(path, not_allowed);
  router.Put(path, not_allowed);
  router.Patch(path, not_allowed);
  router.Delete(path, not_allowed);
  router.Options(path, not_allowed);
}

}  // namespace shim
