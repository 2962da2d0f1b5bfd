#include "pages.h"

#include <nlohmann/json.hpp>

namespace shim {

Problem problem_from_sqlstate(const std::string &sqlstate, const std::string &message) {
  if (sqlstate.empty()) return {503, "database_unavailable", "The service is temporarily unavailable. Please try again in a few minutes."};
  if (sqlstate == "22023") return {400, "invalid_parameter", message};
  if (sqlstate == "P0002") return {404, "store_not_found", message};
  if (sqlstate == "TH101") return {404, "unknown_state", "This connection link is not valid. Start again from your store's connect link."};
  if (sqlstate == "TH102") return {400, "expired_state", "This connection attempt took longer than 10 minutes. Start again from your store's connect link."};
  if (sqlstate == "TH103") return {409, "state_already_used", "This connection link was already used. Start again from your store's connect link."};
  if (sqlstate == "TH104") return {400, "authorization_refused", "TikTok did not accept the authorization. Start again from your store's connect link."};
  if (sqlstate == "TH105") return {500, "tiktok_unavailable", "TikTok could not be reached. Please try again in a few minutes."};
  if (sqlstate == "TH106") return {403, "invalid_invite", "This connect link is not valid. Ask the store's administrator for a new link."};
  if (sqlstate == "TH107") return {403, "invite_expired", "This connect link has expired. Ask the store's administrator for a new link."};
  if (sqlstate == "TH108") return {403, "invite_used", "This connect link was already used to connect a TikTok account. Ask the store's administrator for a new link."};
  if (sqlstate == "TH109") return {429, "too_many_attempts", "Too many connection attempts for this store are in progress. Wait 10 minutes and try again."};
  if (sqlstate == "55000") return {500, "not_configured", "The service is not fully configured. Please tell your administrator."};
  return {500, "internal_error", "Something went wrong on our side. Please tell your administrator."};
}

std::string html_escape(const std::string &s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {
std::string page(const std::string &title, const std::string &body) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" + html_escape(title) +
         "</title><style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
         "color:#222}h1{font-size:1.5rem}.ok{color:#0a7d32}.err{color:#b00020}</style></head><body>" + body +
         "</body></html>";
}
}  // namespace

std::string connected_page(const std::string &store_code, const std::string &display_name,
                           const std::string &status, const std::string &status_reason) {
  std::string who = display_name.empty() ? "Your TikTok account" : "The TikTok account " + html_escape(display_name);
  if (status != "CONNECTED")
    return page("Connected with missing permissions",
                "<h1 class=\"err\">Connected, but permissions are missing</h1><p>" + who +
                    " was connected to store <strong>" + html_escape(store_code) + "</strong>, but " +
                    html_escape(status_reason) +
                    ". Statistics cannot be collected until you connect again and allow every permission.</p>");
  return page("TikTok account connected",
              "<h1 class=\"ok\">Connected</h1><p>" + who + " is now connected to store <strong>" +
                  html_escape(store_code) + "</strong>.</p><p>Its statistics will be collected every day. "
                  "You can close this page.</p>");
}

std::string problem_page(const Problem &p) {
  return page("Could not connect the TikTok account",
              "<h1 class=\"err\">Could not connect the TikTok account</h1><p>" + html_escape(p.message) +
                  "</p><p><small>Error: " + html_escape(p.code) + "</small></p>");
}

std::string problem_json(const Problem &p) {
  return nlohmann::json{{"error", {{"code", p.code}, {"message", p.message}}}}.dump();
}

}  // namespace shim
