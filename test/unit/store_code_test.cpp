#include "core/store_code.h"

#include <gtest/gtest.h>

#include "core/error.h"

using tthub::is_valid_store_code;
using tthub::require_valid_store_code;

TEST(StoreCode, AcceptsLowercaseDigitsUnderscoreDash) {
  EXPECT_TRUE(is_valid_store_code("a"));
  EXPECT_TRUE(is_valid_store_code("store_01-jkt"));
  EXPECT_TRUE(is_valid_store_code(std::string(50, 'z')));
}

TEST(StoreCode, RejectsEverythingElse) {
  for (const char *bad : {"", "Store", "store code", "store;drop", "toko.id", "caf\xc3\xa9",
                          "a'b", "a/b"})
    EXPECT_FALSE(is_valid_store_code(bad)) << bad;
  EXPECT_FALSE(is_valid_store_code(std::string(51, 'a')));
  EXPECT_FALSE(is_valid_store_code(std::string("ab\0c", 4)));
}

TEST(StoreCode, ErrorSaysWhatIsAllowedAndSanitisesTheValue) {
  try {
    require_valid_store_code("bad\ncode");
    FAIL();
  } catch (const tthub::Error &e) {
    EXPECT_EQ(e.sqlstate(), "22023");
    EXPECT_STREQ(e.what(), "invalid store code \"bad?code\"");
    EXPECT_NE(e.detail().find("lowercase letters, digits"), std::string::npos);
  }
}

TEST(StoreCode, ErrorTruncatesHugeValues) {
  try {
    require_valid_store_code(std::string(10000, 'X'));
    FAIL();
  } catch (const tthub::Error &e) {
    EXPECT_LT(std::string(e.what()).size(), 100u);
  }
}
