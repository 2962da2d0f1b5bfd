#include "core/tiktok_api.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <set>
#include <stdexcept>

#include "core/text_sanitize.h"
#include "core/tiktok_limits.h"

namespace tthub::tiktok {
namespace {

using nlohmann::json;

// Thrown inside the parsers only; converted to ApiFailure before returning.
struct Malformed {
  std::string what;
};

// A string field as sent, or nothing when absent or null.
const std::string *opt_string(const json &obj, const char *key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  if (!it->is_string()) throw Malformed{std::string("field \"") + key + "\" is not a string"};
  return &it->get_ref<const std::string &>();
}

// Free text: sanitised and capped, never a reason to reject the response.
std::optional<std::string> opt_text(const json &obj, const char *key, size_t cap,
                                    text::Lines lines = text::Lines::kOne) {
  const std::string *s = opt_string(obj, key);
  if (!s) return std::nullopt;
  return text::sanitize(*s, cap, lines);
}

// A link: sanitised like text, but one past the cap is dropped, since a cut link
// points somewhere else.
std::optional<std::string> opt_url(const json &obj, const char *key) {
  const std::string *s = opt_string(obj, key);
  if (!s || s->size() > kUrlCapBytes) return std::nullopt;
  return text::sanitize(*s, kUrlCapBytes);
}

// An identifier or token: checked, never altered. The message names the field, never
// the value (it may be a token, or hostile bytes).
std::string req_checked(const json &obj, const char *key, bool (*check)(std::string_view, size_t), size_t max,
                        const char *what) {
  const std::string *s = opt_string(obj, key);
  if (!s) throw Malformed{std::string("field \"") + key + "\" is missing"};
  if (!check(*s, max)) throw Malformed{std::string("field \"") + key + "\" is not " + what};
  return *s;
}

std::optional<int64_t> opt_count(const json &obj, const char *key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer())
    throw Malformed{std::string("field \"") + key + "\" is not an integer"};
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Malformed{std::string("field \"") + key + "\" is out of range"};
    return static_cast<int64_t>(u);
  }
  int64_t v = it->get<int64_t>();
  if (v < 0) throw Malformed{std::string("field \"") + key + "\" is negative"};
  return v;
}

int64_t req_count(const json &obj, const char *key) {
  auto v = opt_count(obj, key);
  if (!v) throw Malformed{std::string("field \"") + key + "\" is missing"};
  return *v;
}

constexpr const char *kVideoIdRule = "a video id (1-64 letters, digits, _ or -)";
constexpr const char *kOpenIdRule = "an open_id (1-128 visible ASCII characters)";
constexpr const char *kTokenRule = "a token (1-4096 visible ASCII characters)";

// Every failure passes here, so whatever TikTok put in its code, message or log_id
// reaches sync_logs, sync_jobs and status reasons sanitised and bounded.
ApiFailure failure(FailureKind kind, const HttpResponse &r, const std::string &message,
                   const std::string &code = {}, const std::string &log_id = {}) {
  ApiFailure f;
  f.kind = kind;
  f.http_status = r.status;
  f.code = text::sanitize(code, kErrorCodeCapBytes);
  f.message = text::sanitize(message, kFailureMessageCapBytes);
  f.log_id = text::sanitize(log_id, kLogIdCapBytes);
  f.retry_after_seconds = r.retry_after_seconds;
  return f;
}

// Failures decided by transport and status alone, before looking at the body.
std::optional<ApiFailure> transport_failure(const HttpResponse &r) {
  if (!r.transport_error.empty()) {
    if (r.status != 0 && !r.timed_out)  // a response arrived but could not be taken whole
      return failure(FailureKind::kMalformed, r, r.transport_error);
    return failure(FailureKind::kRetryable, r, r.transport_error);
  }
  return std::nullopt;
}

FailureKind kind_by_status(long status) {
  if (status == 429) return FailureKind::kRateLimited;
  if (status >= 500) return FailureKind::kRetryable;
  if (status == 401) return FailureKind::kTokenInvalid;
  return FailureKind::kFatal;
}

// Parses a Display API envelope and returns data, or a classified failure.
Result<json> display_data(const HttpResponse &r) {
  Result<json> out;
  if (auto f = transport_failure(r)) {
    out.failure = *f;
    return out;
  }
  json doc = json::parse(r.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    FailureKind k = r.status == 200 ? FailureKind::kMalformed : kind_by_status(r.status);
    if (k == FailureKind::kFatal) k = FailureKind::kMalformed;
    out.failure = failure(k, r, (k == FailureKind::kMalformed ? "malformed TikTok response: " : "TikTok error page: ") +
                                    std::string("not a JSON object (HTTP ") + std::to_string(r.status) + ")");
    return out;
  }
  std::string code, message, log_id;  // code as sent: it is compared, not stored
  auto err = doc.find("error");
  if (err != doc.end() && err->is_object()) {
    auto str = [&](const char *k) {
      auto it = err->find(k);
      return it != err->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    code = str("code");
    message = text::sanitize(str("message"), kErrorMessageCapBytes);
    log_id = str("log_id");
  }
  if (r.status == 200 && code == "ok") {
    auto data = doc.find("data");
    if (data == doc.end() || !data->is_object()) {
      out.failure = failure(FailureKind::kMalformed, r, "response has no \"data\" object", code, log_id);
      return out;
    }
    out.value = std::move(*data);
    return out;
  }
  FailureKind kind;
  if (code == "access_token_invalid")
    kind = FailureKind::kTokenInvalid;
  else if (code == "scope_not_authorized" || code == "scope_permission_missed")
    kind = FailureKind::kReconnect;
  else if (code == "rate_limit_exceeded")
    kind = FailureKind::kRateLimited;
  else if (code == "internal_error")
    kind = FailureKind::kRetryable;
  else if (code == "invalid_params")
    kind = FailureKind::kFatal;
  else if (r.status == 200)  // 200 without "ok": not a shape we know
    kind = FailureKind::kMalformed;
  else
    kind = kind_by_status(r.status);  // unknown codes: by HTTP status class (reference, section 4)
  std::string shown = "TikTok " + (code.empty() ? std::string("error") : text::sanitize(code, kErrorCodeCapBytes)) +
                      " (HTTP " + std::to_string(r.status) + ")";
  if (!message.empty()) shown += ": " + message;
  out.failure = failure(kind, r, shown, code, log_id);
  return out;
}

// OAuth errors: a top-level "error" string (section 2.6); decided by the body, since
// the HTTP status that comes with them is not documented.
std::optional<ApiFailure> oauth_error(const HttpResponse &r, const json &doc, const std::string &what) {
  auto err = doc.find("error");
  if (err == doc.end() || !err->is_string()) return std::nullopt;
  std::string code = err->get<std::string>();  // as sent: compared here, sanitised by failure()
  std::string desc = opt_text(doc, "error_description", kErrorMessageCapBytes).value_or("");
  std::string log_id = opt_text(doc, "log_id", kLogIdCapBytes).value_or("");
  FailureKind kind;
  if (code == "invalid_grant" || code == "access_denied")
    kind = FailureKind::kReconnect;  // code or refresh token expired, revoked or already used
  else if (code == "server_error" || code == "temporarily_unavailable")
    kind = FailureKind::kRetryable;
  else
    kind = FailureKind::kFatal;  // invalid_client etc.: configuration, not the account
  return failure(kind, r, what + ": " + text::sanitize(code, kErrorCodeCapBytes) + (desc.empty() ? "" : ": " + desc),
                 code, log_id);
}

// One Video object (section 8): the id checked, text sanitised, counters strict.
Video parse_video(const json &v) {
  if (!v.is_object()) throw Malformed{"a video is not an object"};
  Video out_v;
  out_v.id = req_checked(v, "id", text::word_chars, kVideoIdMaxBytes, kVideoIdRule);
  out_v.title = opt_text(v, "title", kTitleCapBytes);
  out_v.description = opt_text(v, "video_description", kTitleCapBytes, text::Lines::kMany);
  out_v.cover_image_url = opt_url(v, "cover_image_url");
  out_v.share_url = opt_url(v, "share_url");
  out_v.embed_link = opt_url(v, "embed_link");
  out_v.create_time = opt_count(v, "create_time");
  auto int32 = [&](const char *key) {
    auto n = opt_count(v, key);
    if (n && *n > std::numeric_limits<int32_t>::max())
      throw Malformed{std::string("field \"") + key + "\" is out of range"};
    return n;
  };
  out_v.duration = int32("duration");
  out_v.height = int32("height");
  out_v.width = int32("width");
  out_v.view_count = opt_count(v, "view_count");
  out_v.like_count = opt_count(v, "like_count");
  out_v.comment_count = opt_count(v, "comment_count");
  out_v.share_count = opt_count(v, "share_count");
  return out_v;
}

// The "videos" array of a list or query answer (absent or null: none).
std::vector<Video> parse_videos(const json &videos) {
  std::vector<Video> out;
  if (videos.is_null()) return out;
  if (!videos.is_array()) throw Malformed{"\"videos\" is not an array"};
  if (videos.size() > 1000) throw Malformed{"\"videos\" has too many entries"};
  out.reserve(videos.size());
  for (const json &v : videos) out.push_back(parse_video(v));
  return out;
}

template <typename T, typename F>
Result<T> guarded(const HttpResponse &r, F &&parse) {
  Result<T> out;
  try {
    parse(out);
  } catch (const Malformed &m) {
    out.value.reset();
    out.failure = failure(FailureKind::kMalformed, r, "malformed TikTok response: " + m.what);
  } catch (const nlohmann::json::exception &e) {
    out.value.reset();
    out.failure = failure(FailureKind::kMalformed, r, std::string("malformed TikTok response: ") + e.what());
  }
  return out;
}

}  // namespace

std::string missing_scope(const std::string &granted) {
  for (const char *need : kRequiredScopes) {
    bool found = false;
    size_t start = 0;
    while (start <= granted.size()) {
      size_t end = granted.find(',', start);
      if (end == std::string::npos) end = granted.size();
      std::string item = granted.substr(start, end - start);
      while (!item.empty() && item.front() == ' ') item.erase(0, 1);
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (item == need) found = true;
      start = end + 1;
    }
    if (!found) return need;
  }
  return {};
}

std::string form_encode(const std::string &s) {
  static const char *hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string join_url(const std::string &base, const std::string &path) {
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + path;
}

namespace {
HttpRequest user_info_with_fields(const std::string &base, const std::string &access_token, const char *fields) {
  HttpRequest r;
  r.method = "GET";
  r.url = join_url(base, "/v2/user/info/") + "?fields=" + form_encode(fields);
  r.headers = {"Authorization: Bearer " + access_token};
  return r;
}
}  // namespace

HttpRequest user_info_request(const std::string &base, const std::string &access_token) {
  return user_info_with_fields(base, access_token, kUserFields);
}

HttpRequest video_list_request(const std::string &base, const std::string &access_token,
                               std::optional<int64_t> cursor, int max_count) {
  HttpRequest r;
  r.method = "POST";
  r.url = join_url(base, "/v2/video/list/") + "?fields=" + form_encode(kVideoFields);
  r.headers = {"Authorization: Bearer " + access_token, "Content-Type: application/json"};
  json body = {{"max_count", max_count < 1 ? 1 : max_count > kMaxVideosPerPage ? kMaxVideosPerPage : max_count}};
  if (cursor) body["cursor"] = *cursor;  // omitted on the first page (section 6)
  r.body = body.dump();
  return r;
}

HttpRequest video_query_request(const std::string &base, const std::string &access_token,
                                const std::vector<std::string> &video_ids) {
  if (video_ids.empty() || video_ids.size() > static_cast<size_t>(kMaxVideoIdsPerQuery))
    throw std::invalid_argument("video/query takes 1 to 20 ids");
  for (const std::string &id : video_ids)
    if (!text::word_chars(id, kVideoIdMaxBytes)) throw std::invalid_argument("video/query: an id is not a video id");
  HttpRequest r;
  r.method = "POST";
  r.url = join_url(base, "/v2/video/query/") + "?fields=" + form_encode(kVideoFields);
  r.headers = {"Authorization: Bearer " + access_token, "Content-Type: application/json"};
  r.body = json{{"filters", {{"video_ids", video_ids}}}}.dump();  // ids stay strings (section 7)
  return r;
}

namespace {
// The OAuth endpoints take a form body with the app's credentials first (section 2.3).
HttpRequest oauth_form_post(const std::string &base, const char *path, const std::string &client_key,
                            const std::string &client_secret, const std::string &rest) {
  HttpRequest r;
  r.method = "POST";
  r.url = join_url(base, path);
  r.headers = {"Content-Type: application/x-www-form-urlencoded", "Cache-Control: no-cache"};
  r.body = "client_key=" + form_encode(client_key) + "&client_secret=" + form_encode(client_secret) + "&" + rest;
  return r;
}
}  // namespace

HttpRequest refresh_request(const std::string &base, const std::string &client_key,
                            const std::string &client_secret, const std::string &refresh_token) {
  return oauth_form_post(base, "/v2/oauth/token/", client_key, client_secret,
                         "grant_type=refresh_token&refresh_token=" + form_encode(refresh_token));
}

HttpRequest authorization_code_request(const std::string &base, const std::string &client_key,
                                       const std::string &client_secret, const std::string &code,
                                       const std::string &redirect_uri) {
  return oauth_form_post(base, "/v2/oauth/token/", client_key, client_secret,
                         "code=" + form_encode(code) + "&grant_type=authorization_code&redirect_uri=" +
                             form_encode(redirect_uri));
}

HttpRequest revoke_request(const std::string &base, const std::string &client_key,
                           const std::string &client_secret, const std::string &access_token) {
  return oauth_form_post(base, "/v2/oauth/revoke/", client_key, client_secret, "token=" + form_encode(access_token));
}

HttpRequest profile_request(const std::string &base, const std::string &access_token) {
  return user_info_with_fields(base, access_token, kProfileFields);
}

Result<UserInfo> parse_user_info(const HttpResponse &r) {
  return guarded<UserInfo>(r, [&](Result<UserInfo> &out) {
    Result<json> data = display_data(r);
    if (!data.ok()) {
      out.failure = data.failure;
      return;
    }
    auto user = data.value->find("user");
    if (user == data.value->end() || !user->is_object()) throw Malformed{"\"data.user\" is missing"};
    UserInfo u;
    const std::string *open_id = opt_string(*user, "open_id");
    if (open_id && !open_id->empty())  // absent or empty: the caller knows whose token it sent
      u.open_id = req_checked(*user, "open_id", text::visible_ascii, kOpenIdMaxBytes, kOpenIdRule);
    u.display_name = opt_text(*user, "display_name", kDisplayNameCapBytes);
    u.avatar_url = opt_url(*user, "avatar_url");
    u.follower_count = opt_count(*user, "follower_count");
    u.following_count = opt_count(*user, "following_count");
    u.likes_count = opt_count(*user, "likes_count");
    u.video_count = opt_count(*user, "video_count");
    out.value = std::move(u);
  });
}

Result<VideoPage> parse_video_page(const HttpResponse &r) {
  return guarded<VideoPage>(r, [&](Result<VideoPage> &out) {
    Result<json> data = display_data(r);
    if (!data.ok()) {
      out.failure = data.failure;
      return;
    }
    const json &d = *data.value;
    VideoPage page;
    auto has_more = d.find("has_more");
    if (has_more == d.end() || !has_more->is_boolean()) throw Malformed{"\"has_more\" is missing or not a boolean"};
    page.has_more = has_more->get<bool>();
    if (page.has_more)
      page.cursor = req_count(d, "cursor");
    else
      page.cursor = opt_count(d, "cursor").value_or(0);
    auto videos = d.find("videos");
    if (videos != d.end()) page.videos = parse_videos(*videos);
    out.value = std::move(page);
  });
}

Result<VideoQueryAnswer> parse_video_query(const HttpResponse &r, const std::vector<std::string> &asked) {
  return guarded<VideoQueryAnswer>(r, [&](Result<VideoQueryAnswer> &out) {
    Result<json> data = display_data(r);
    if (!data.ok()) {
      out.failure = data.failure;
      return;
    }
    VideoQueryAnswer answer;
    auto videos = data.value->find("videos");  // cursor and has_more: not relied on (section 7)
    if (videos != data.value->end()) answer.videos = parse_videos(*videos);
    std::set<std::string> wanted(asked.begin(), asked.end()), seen;
    for (const Video &v : answer.videos) {
      if (!wanted.count(v.id)) throw Malformed{"a video that was not asked for"};
      if (!seen.insert(v.id).second) throw Malformed{"a video returned twice"};
    }
    for (const std::string &id : asked)
      if (!seen.count(id)) answer.missing.push_back(id);
    out.value = std::move(answer);
  });
}

namespace {
// The JSON object an OAuth endpoint answered, or the failure the response stands for:
// a transport error, a body that is not a JSON object, an OAuth error (decided by the
// body, section 2.6), or a non-200 status. OAuth endpoints have no "token invalid"
// case of their own: a bare 401 there is a configuration problem.
Result<json> oauth_document(const HttpResponse &r, const std::string &endpoint, const std::string &body) {
  Result<json> out;
  if (auto f = transport_failure(r)) {
    out.failure = *f;
    return out;
  }
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    FailureKind k = r.status >= 500 || r.status == 429 ? kind_by_status(r.status) : FailureKind::kMalformed;
    out.failure = failure(k, r, endpoint + " HTTP " + std::to_string(r.status) + ": response is not a JSON object");
    return out;
  }
  if (auto f = oauth_error(r, doc, "TikTok " + endpoint)) {
    out.failure = *f;
    return out;
  }
  if (r.status != 200) {
    FailureKind k = kind_by_status(r.status);
    if (k == FailureKind::kTokenInvalid) k = FailureKind::kFatal;
    out.failure = failure(k, r, endpoint + " returned HTTP " + std::to_string(r.status));
    return out;
  }
  out.value = std::move(doc);
  return out;
}
}  // namespace

Result<TokenSet> parse_token_response(const HttpResponse &r) {
  return guarded<TokenSet>(r, [&](Result<TokenSet> &out) {
    Result<json> doc = oauth_document(r, "token endpoint", r.body);
    if (!doc.ok()) {
      out.failure = doc.failure;
      return;
    }
    const json &d = *doc.value;
    TokenSet t;
    t.open_id = req_checked(d, "open_id", text::visible_ascii, kOpenIdMaxBytes, kOpenIdRule);
    t.scope = opt_text(d, "scope", kScopeCapBytes).value_or("");
    // Tokens go into an Authorization header: a CR or LF there would add headers.
    t.access_token = req_checked(d, "access_token", text::visible_ascii, kTokenMaxBytes, kTokenRule);
    t.refresh_token = req_checked(d, "refresh_token", text::visible_ascii, kTokenMaxBytes, kTokenRule);
    t.expires_in = req_count(d, "expires_in");
    t.refresh_expires_in = req_count(d, "refresh_expires_in");
    if (t.expires_in == 0 || t.refresh_expires_in == 0) throw Malformed{"a token lifetime is zero"};
    out.value = std::move(t);
  });
}

Result<bool> parse_revoke_response(const HttpResponse &r) {
  return guarded<bool>(r, [&](Result<bool> &out) {
    std::string body = r.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
    if (r.status == 200 && body.empty() && r.transport_error.empty()) {  // the documented success
      out.value = true;
      return;
    }
    Result<json> doc = oauth_document(r, "revoke endpoint", body);
    if (!doc.ok()) {
      out.failure = doc.failure;
      return;
    }
    out.value = true;
  });
}

}  // namespace tthub::tiktok
