#include "core/error.h"

#include <cstring>
#include <exception>
#include <new>

namespace tthub {
namespace {

void copy_truncated(char *dst, size_t size, const char *src) noexcept {
  std::strncpy(dst, src ? src : "", size - 1);
  dst[size - 1] = '\0';
}

void fill(ErrorReport &r, const char *state, const char *msg, const char *detail = "",
          const char *hint = "") noexcept {
  copy_truncated(r.sqlstate, sizeof r.sqlstate, state);
  copy_truncated(r.message, sizeof r.message, msg);
  copy_truncated(r.detail, sizeof r.detail, detail);
  copy_truncated(r.hint, sizeof r.hint, hint);
}

bool valid_sqlstate(const std::string &s) noexcept {
  if (s.size() != 5) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'))) return false;
  return true;
}

}  // namespace

ErrorReport describe_current_exception() noexcept {
  ErrorReport r{};
  try {
    throw;
  } catch (const Error &e) {
    fill(r, valid_sqlstate(e.sqlstate()) ? e.sqlstate().c_str() : sqlstate::kInternalError,
         e.what(), e.detail().c_str(), e.hint().c_str());
  } catch (const std::bad_alloc &) {
    fill(r, sqlstate::kOutOfMemory, "tthub: out of memory");
  } catch (const std::exception &e) {
    // A standard-library failure is a bug in tthub, not bad input: say so.
    fill(r, sqlstate::kInternalError, "tthub internal error", e.what());
  } catch (...) {
    fill(r, sqlstate::kInternalError, "tthub internal error", "unknown exception");
  }
  return r;
}

bool is_operator_intervention(const Error &e) { return e.sqlstate().compare(0, 2, "57") == 0; }

}  // namespace tthub
