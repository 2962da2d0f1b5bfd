#include "core/tiktok_webhook.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/text_sanitize.h"
#include "core/webhook_signature.h"

namespace tthub::tiktok_webhook {
namespace {

constexpr size_t kHexSignatureBytes = 64;  // SHA-256, lower-case hex
constexpr size_t kMaxTimestampDigits = 12;  // seconds until the year 33658

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr))
    throw Error(sqlstate::kInternalError, "tthub: SHA-256 failed");
  return webhook::to_hex(digest, len);
}

// A required string member of visible ASCII within max bytes; "" when absent or not one.
bool ascii_member(const nlohmann::json &o, const char *name, size_t max, std::string *out, std::string *why) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) {
    *why = std::string("the body has no string \"") + name + "\"";
    return false;
  }
  const std::string &v = it->get_ref<const std::string &>();
  if (!text::visible_ascii(v, max)) {
    *why = std::string("\"") + name + "\" is empty, too long or not printable ASCII";
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

std::string signature_header(std::string_view client_secret, int64_t unix_seconds, std::string_view body) {
  std::string t = std::to_string(unix_seconds);
  return "t=" + t + ",s=" + webhook::hmac_sha256_hex(client_secret, t + "." + std::string(body));
}

Verification verify(std::string_view header, std::string_view client_secret, std::string_view body, int64_t now_s,
                    int64_t tolerance_s) {
  Verification v;
  if (client_secret.empty()) {
    v.verdict = Verdict::kNoSecret;
    v.why = "no client secret is loaded (tthub.client_secret_file): every webhook is refused";
    return v;
  }
  if (header.empty()) {
    v.verdict = Verdict::kMissing;
    v.why = "no TikTok-Signature header";
    return v;
  }
  v.verdict = Verdict::kMalformed;
  v.why = "the TikTok-Signature header is not t=<unix seconds>,s=<hex>";
  if (header.size() > kMaxHeaderBytes) return v;
  std::optional<std::string_view> t, s;
  for (size_t pos = 0; pos <= header.size();) {
    size_t end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view part = header.substr(pos, end - pos);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      std::string_view name = part.substr(0, eq), value = part.substr(eq + 1);
      if (name == "t") {
        if (t) return v;  // twice: ambiguous
        t = value;
      } else if (name == "s") {
        if (s) return v;
        s = value;
      }
    }
    pos = end + 1;
  }
  if (!t || !s || !all_digits(*t) || t->size() > kMaxTimestampDigits || s->size() != kHexSignatureBytes ||
      !lower_hex(*s))
    return v;
  v.t = std::stoll(std::string(*t));
  std::string expected = webhook::hmac_sha256_hex(client_secret, std::string(*t) + "." + std::string(body));
  if (CRYPTO_memcmp(expected.data(), s->data(), kHexSignatureBytes) != 0) {
    v.verdict = Verdict::kMismatch;
    v.why = "the signature does not match the body (another client secret, or a changed body or timestamp)";
    return v;
  }
  if (v.t < now_s - tolerance_s) {
    v.verdict = Verdict::kStale;
    v.why = "the signed timestamp is " + std::to_string(now_s - v.t) + " s old (tolerance " +
            std::to_string(tolerance_s) + " s)";
    return v;
  }
  if (v.t > now_s + tolerance_s) {
    v.verdict = Verdict::kFuture;
    v.why = "the signed timestamp is " + std::to_string(v.t - now_s) + " s ahead (tolerance " +
            std::to_string(tolerance_s) + " s)";
    return v;
  }
  v.verdict = Verdict::kOk;
  v.why.clear();
  return v;
}

const char *reason_text(int reason) {
  switch (reason) {
    case 1: return "the user disconnected the app in TikTok";
    case 2: return "the TikTok account was deleted";
    case 3: return "the user's age changed";
    case 4: return "the TikTok account was banned";
    case 5: return "the developer revoked the authorization";
    default: return "the authorization ended for an unknown reason";
  }
}

Effect reason_effect(int reason) { return reason == 2 || reason == 4 ? Effect::kDisabled : Effect::kNeedReconnect; }

Parsed parse(std::string_view body) {
  Parsed out;
  if (body.size() > kMaxBodyBytes) {
    out.why = "the body is larger than " + std::to_string(kMaxBodyBytes) + " bytes";
    return out;
  }
  if (!text::valid_utf8(body)) {
    out.why = "the body is not UTF-8 text";
    return out;
  }
  nlohmann::json j = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    out.why = "the body is not a JSON object";
    return out;
  }
  Event e;
  if (!ascii_member(j, "client_key", kMaxClientKeyBytes, &e.client_key, &out.why)) return out;
  out.client_key = e.client_key;
  if (!ascii_member(j, "event", kMaxEventBytes, &e.event, &out.why) ||
      !ascii_member(j, "user_openid", kMaxOpenIdBytes, &e.user_openid, &out.why))
    return out;
  auto ct = j.find("create_time");
  if (ct == j.end() || !ct->is_number_integer() || ct->get<int64_t>() <= 0) {
    out.why = "\"create_time\" is not a positive integer";
    return out;
  }
  e.create_time = ct->get<int64_t>();
  auto content = j.find("content");
  if (content == j.end() || !content->is_string() || content->get_ref<const std::string &>().size() > kMaxContentBytes) {
    out.why = "\"content\" is not a string of at most " + std::to_string(kMaxContentBytes) + " bytes";
    return out;
  }
  const std::string &raw = content->get_ref<const std::string &>();
  if (e.event == kAuthorizationRemoved) {
    nlohmann::json c = nlohmann::json::parse(raw, nullptr, false);
    auto r = c.is_object() ? c.find("reason") : c.end();
    if (!c.is_object() || r == c.end() || !r->is_number_integer() || r->get<int64_t>() < 0 ||
        r->get<int64_t>() > 1000) {
      out.why = "the content of authorization.removed has no integer \"reason\"";
      return out;
    }
    e.reason = static_cast<int>(r->get<int64_t>());
  }
  std::string sep(1, '\x1f');
  e.key = sha256_hex(e.client_key + sep + e.event + sep + std::to_string(e.create_time) + sep + e.user_openid + sep + raw);
  out.event = std::move(e);
  return out;
}

}  // namespace tthub::tiktok_webhook
