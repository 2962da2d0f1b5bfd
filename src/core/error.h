// Errors raised by tthub's C++ code, independent of Postgres.
//
// Every failure carries a five-character SQLSTATE so the Postgres entry points can
// report it faithfully; the pure code never includes postgres.h (its macros break
// the standard library), so SQLSTATEs are plain strings here.
#pragma once

#include <stdexcept>
#include <string>

namespace tthub {

namespace sqlstate {
// Standard codes (PostgreSQL Appendix A).
inline constexpr const char *kInvalidParameterValue = "22023";
inline constexpr const char *kDataException = "22000";
inline constexpr const char *kNotInPrerequisiteState = "55000";
inline constexpr const char *kOutOfMemory = "53200";
inline constexpr const char *kInternalError = "XX000";
inline constexpr const char *kCharacterNotInRepertoire = "22021";  // invalid bytes for the encoding
inline constexpr const char *kProgramLimitExceeded = "54000";
inline constexpr const char *kQueryCanceled = "57014";
// tthub's own class "TH": errors no standard code describes.
inline constexpr const char *kTokenAuthFailed = "TH001";   // ciphertext tampered, wrong key or context
inline constexpr const char *kOAuthUnknownState = "TH101";  // no such state (never issued, or pruned)
inline constexpr const char *kOAuthExpiredState = "TH102";  // older than 10 minutes
inline constexpr const char *kOAuthUsedState = "TH103";     // replayed callback
inline constexpr const char *kOAuthRefused = "TH104";       // TikTok refused the code or the user denied
inline constexpr const char *kOAuthUnavailable = "TH105";   // TikTok's token endpoint failed (network, 5xx)
inline constexpr const char *kOAuthInvalidInvite = "TH106"; // no such connect link (raised in SQL)
inline constexpr const char *kOAuthExpiredInvite = "TH107"; // connect link past its expiry (raised in SQL)
inline constexpr const char *kOAuthUsedInvite = "TH108";    // connect link spent, or bound to another account
inline constexpr const char *kOAuthTooManyPending = "TH109"; // a store's cap of pending states (raised in SQL)
inline constexpr const char *kNoDataFound = "P0002";
}  // namespace sqlstate

class Error : public std::runtime_error {
 public:
  Error(std::string sqlstate, const std::string &message, std::string detail = {},
        std::string hint = {})
      : std::runtime_error(message),
        sqlstate_(std::move(sqlstate)),
        detail_(std::move(detail)),
        hint_(std::move(hint)) {}

  const std::string &sqlstate() const noexcept { return sqlstate_; }
  const std::string &detail() const noexcept { return detail_; }
  const std::string &hint() const noexcept { return hint_; }

 private:
  std::string sqlstate_;
  std::string detail_;
  std::string hint_;
};

// A plain, fixed-size description of an exception. It owns no heap memory, so it can
// outlive the catch block and be handed to ereport(), which longjmps.
struct ErrorReport {
  char sqlstate[6];
  char message[1024];
  char detail[1024];
  char hint[512];
};

// Describes the exception currently being handled (call only inside a catch block).
// Never throws: an unknown exception becomes an internal error.
ErrorReport describe_current_exception() noexcept;

// SQLSTATE class 57, operator intervention (query_canceled, admin_shutdown, ...):
// a cancel, statement timeout or shutdown. It ends the statement or the process and
// is never a job's retryable failure.
bool is_operator_intervention(const Error &e);

}  // namespace tthub
