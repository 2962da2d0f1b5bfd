// The sanitiser every string from TikTok passes through: whatever the input, the
// output is valid UTF-8 without NUL or control characters, within its byte cap.
#include "core/text_sanitize.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

using tthub::text::Lines;
using tthub::text::sanitize;
using tthub::text::valid_utf8;
using tthub::text::visible_ascii;
using tthub::text::word_chars;

namespace {

const std::string kFffd = "\xEF\xBF\xBD";
const std::string kEacute = "\xC3\xA9";          // é, 2 bytes
const std::string kHan = "\xE6\xBC\xA2";          // 漢, 3 bytes
const std::string kEmoji = "\xF0\x9F\x98\x80";    // U+1F600, 4 bytes

bool has_control(const std::string &s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 && c != '\n' && c != '\t') return true;
    if (c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;  // C1
  }
  return false;
}

}  // namespace

TEST(Sanitize, KeepsOrdinaryTextAsIs) {
  std::string s = "Toko Jaya " + kEacute + kHan + kEmoji + " #sale";
  EXPECT_EQ(sanitize(s, 1000), s);
  EXPECT_EQ(sanitize("", 10), "");
}

TEST(Sanitize, RemovesNulAndControlCharacters) {
  EXPECT_EQ(sanitize(std::string("a\0b", 3), 100), "ab");
  EXPECT_EQ(sanitize("bell\x07 esc\x1b[31m del\x7f", 100), "bell esc[31m del");
  EXPECT_EQ(sanitize("c1\xC2\x80\xC2\x9B|", 100), "c1|") << "C1 controls (U+0080-U+009F) go too";
}

TEST(Sanitize, LineBreaksAndTabsBySort) {
  std::string in = "one\r\ntwo\rthree\nfour\tfive\xC2\x85six\xE2\x80\xA8seven\x0B" "eight";
  EXPECT_EQ(sanitize(in, 100, Lines::kOne), "one two three four five six seven eight");
  EXPECT_EQ(sanitize(in, 100, Lines::kMany), "one\ntwo\nthree\nfour\tfive\nsix\nseven\neight");
}

TEST(Sanitize, ReplacesIllFormedUtf8) {
  EXPECT_EQ(sanitize("bad \xC3\x28", 100), "bad " + kFffd + "(") << "a lead byte without its continuation";
  EXPECT_EQ(sanitize("\x80x", 100), kFffd + "x") << "a stray continuation byte";
  EXPECT_EQ(sanitize("\xC0\xAF", 100), kFffd + kFffd) << "an overlong '/'";
  EXPECT_EQ(sanitize("\xED\xA0\x80", 100), kFffd + kFffd + kFffd) << "a surrogate";
  EXPECT_EQ(sanitize("\xF4\x90\x80\x80", 100), kFffd + kFffd + kFffd + kFffd) << "past U+10FFFF";
  EXPECT_EQ(sanitize("\xFF\xFE", 100), kFffd + kFffd);
}

TEST(Sanitize, ACodePointCutAtTheEndBecomesOneReplacement) {
  // What a byte-wise substr() of a longer message leaves behind.
  EXPECT_EQ(sanitize("ok " + kEmoji.substr(0, 3), 100), "ok " + kFffd);
  EXPECT_EQ(sanitize("ok " + kHan.substr(0, 2), 100), "ok " + kFffd);
  EXPECT_EQ(sanitize("ok " + kEacute.substr(0, 1), 100), "ok " + kFffd);
}

TEST(Sanitize, CapsOnACodePointBoundary) {
  std::string s;
  for (int i = 0; i < 200; ++i) s += kEacute;  // 400 bytes
  std::string out = sanitize("x" + s, 300);    // 1 + 149 * 2 = 299 fits; one more would be 301
  EXPECT_EQ(out.size(), 299u);
  EXPECT_TRUE(valid_utf8(out));
  EXPECT_EQ(sanitize(kEmoji + kEmoji, 7), kEmoji);
  EXPECT_EQ(sanitize("abc", 0), "");
  EXPECT_EQ(sanitize("abc", 3), "abc");
}

TEST(Sanitize, AnyBytesGiveValidCappedText) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 400), cap(0, 300);
  for (int round = 0; round < 5000; ++round) {
    std::string in;
    for (int n = len(rng); n > 0; --n) in += static_cast<char>(byte(rng));
    size_t max = static_cast<size_t>(cap(rng));
    for (Lines lines : {Lines::kOne, Lines::kMany}) {
      std::string out = sanitize(in, max, lines);
      ASSERT_LE(out.size(), max);
      ASSERT_TRUE(valid_utf8(out)) << "round " << round;
      ASSERT_FALSE(has_control(out)) << "round " << round;
      if (lines == Lines::kOne) {
        ASSERT_EQ(out.find_first_of("\n\t"), std::string::npos);
      }
      ASSERT_EQ(sanitize(out, max, lines), out) << "sanitising twice changes nothing";
    }
  }
}

TEST(ValidUtf8, IsStrict) {
  EXPECT_TRUE(valid_utf8("plain " + kEacute + kHan + kEmoji));
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_FALSE(valid_utf8(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));
  EXPECT_FALSE(valid_utf8(kHan.substr(0, 2)));
}

TEST(Identifiers, AreCheckedNotAltered) {
  EXPECT_TRUE(visible_ascii("-000OlkpSDd3tS9w7m2xZ", 128));
  EXPECT_TRUE(visible_ascii("723f24d7-e717-40f8-a2b6-cb8464cd23b4", 128));
  EXPECT_FALSE(visible_ascii("", 128));
  EXPECT_FALSE(visible_ascii(std::string(129, 'a'), 128));
  EXPECT_FALSE(visible_ascii("act.x\r\nX-Injected: 1", 4096)) << "no header injection through a token";
  EXPECT_FALSE(visible_ascii("has space", 128));
  EXPECT_FALSE(visible_ascii(std::string("a\0b", 3), 128));
  EXPECT_FALSE(visible_ascii("caf" + kEacute, 128));

  EXPECT_TRUE(word_chars("12345123451234512345", 64));
  EXPECT_FALSE(word_chars("1'; drop", 64));
  EXPECT_FALSE(word_chars(std::string(65, '1'), 64));
  EXPECT_FALSE(word_chars("", 64));
}
