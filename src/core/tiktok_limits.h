// Limits and constants as TikTok documents them. Anything the documentation leaves
// unconfirmed is named here with a comment saying so.
#pragma once

namespace tthub::tiktok {

inline constexpr const char *kDefaultApiBaseUrl = "https://open.tiktokapis.com";
inline constexpr const char *kDefaultAuthorizeUrl = "https://www.tiktok.com/v2/auth/authorize/";

// Rate limits (section 9): 600 requests/minute per endpoint, 1-minute sliding window.
// Whether the budget is per app or per token is UNCONFIRMED; we budget per app.
inline constexpr int kDefaultRequestsPerMinute = 600;

// /v2/video/list/ max_count maximum (section 6) and /v2/video/query/ id limit (section 7).
inline constexpr int kMaxVideosPerPage = 20;
inline constexpr int kMaxVideoIdsPerQuery = 20;

}  // namespace tthub::tiktok
