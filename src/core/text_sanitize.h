// Text that comes from TikTok, made safe to store and to dump: whatever bytes arrive,
// what leaves sanitize() is valid UTF-8 (what a UTF-8 database and pg_restore accept),
// holds no NUL or control character, and fits a byte cap without splitting a code
// point. Identifiers are not altered: they are checked, and one that fails makes the
// response malformed (a changed id would name another row).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tthub::text {

enum class Lines {
  kOne,   // names, titles, codes, messages: line breaks and tabs become a space
  kMany,  // descriptions: line breaks become "\n", tabs stay
};

// Each ill-formed UTF-8 sequence (a stray byte, an overlong form, a surrogate, a code
// point above U+10FFFF, a sequence cut short, at the end too) becomes one U+FFFD; NUL
// and the other C0/C1 control characters and DEL are removed, except line breaks
// (CR, LF, CRLF, VT, FF, NEL, U+2028, U+2029) and tabs, handled as `lines` says. The
// result is then cut to at most max_bytes bytes on a code-point boundary.
std::string sanitize(std::string_view s, size_t max_bytes, Lines lines = Lines::kOne);

// Well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or values past U+10FFFF)
// without NUL.
bool valid_utf8(std::string_view s);

// 1 to max_bytes visible ASCII characters (0x21-0x7E): no space, control or non-ASCII
// byte. For open_ids and tokens, which travel in HTTP headers and form bodies.
bool visible_ascii(std::string_view s, size_t max_bytes);

// 1 to max_bytes characters from [A-Za-z0-9_-]. For video ids.
bool word_chars(std::string_view s, size_t max_bytes);

}  // namespace tthub::text
