#include "core/text_sanitize.h"

#include <cstdint>

namespace tthub::text {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Decodes one code point at s[0] (s non-empty). Returns its length and sets *cp, or
// returns 0 and sets *bad to the length of the maximal ill-formed subpart (at least
// 1), so that each such subpart is replaced by exactly one U+FFFD (Unicode 3.9).
size_t decode(std::string_view s, uint32_t *cp, size_t *bad) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned c = byte(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t need;
  uint32_t v;
  unsigned lo = 0x80, hi = 0xBF;  // range of the second byte (Unicode table 3-7)
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
    v = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    v = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // no overlong forms
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    v = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // no overlong forms
    if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t i = 1; i <= need; ++i) {
    if (i >= s.size()) {  // cut short
      *bad = i;
      return 0;
    }
    unsigned b = byte(i);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
      *bad = i;
      return 0;
    }
    v = (v << 6) | (b & 0x3F);
  }
  *cp = v;
  return need + 1;
}

bool is_line_break(uint32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

std::string sanitize(std::string_view s, size_t max_bytes, Lines lines) {
  std::string out;
  out.reserve(s.size() < max_bytes ? s.size() : max_bytes);
  // Appends piece unless it would pass the cap; false once the cap is reached.
  auto put = [&](std::string_view piece) {
    if (out.size() + piece.size() > max_bytes) return false;
    out.append(piece);
    return true;
  };
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t bad = 0;
    size_t len = decode(s.substr(i), &cp, &bad);
    bool fits = true;
    if (len == 0) {
      fits = put(kReplacement);
      i += bad;
      if (!fits) break;
      continue;
    }
    if (is_line_break(cp)) {
      // CRLF is one break.
      if (cp == '\r' && i + 1 < s.size() && s[i + 1] == '\n') ++len;
      fits = put(lines == Lines::kMany ? "\n" : " ");
    } else if (cp == '\t') {
      fits = put(lines == Lines::kMany ? "\t" : " ");
    } else if (!is_control(cp)) {
      fits = put(s.substr(i, len));
    }
    if (!fits) break;
    i += len;
  }
  return out;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    size_t bad = 0;
    size_t len = decode(s.substr(i), &cp, &bad);
    if (len == 0 || cp == 0) return false;
    i += len;
  }
  return true;
}

bool visible_ascii(std::string_view s, size_t max_bytes) {
  if (s.empty() || s.size() > max_bytes) return false;
  for (unsigned char c : s)
    if (c < 0x21 || c > 0x7E) return false;
  return true;
}

bool word_chars(std::string_view s, size_t max_bytes) {
  if (s.empty() || s.size() > max_bytes) return false;
  for (unsigned char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'))
      return false;
  return true;
}

}  // namespace tthub::text
