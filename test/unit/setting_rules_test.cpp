#include "core/setting_rules.h"

#include <gtest/gtest.h>

using tthub::setting_rules::check_client_key;
using tthub::setting_rules::check_database_name;
using tthub::setting_rules::check_scopes;
using tthub::setting_rules::check_url;
using tthub::setting_rules::Query;

TEST(SettingRules, UrlsTikTokAndTheSimulatorPass) {
  EXPECT_EQ(check_url("https://open.tiktokapis.com", Query::kRefused), "");
  EXPECT_EQ(check_url("https://open.tiktokapis.com/", Query::kRefused), "");
  EXPECT_EQ(check_url("https://www.tiktok.com/v2/auth/authorize/", Query::kAllowed), "");
  EXPECT_EQ(check_url("https://auth.example.com/authorize?lang=en", Query::kAllowed), "");
  EXPECT_EQ(check_url("http://127.0.0.1:1", Query::kRefused), "");
  EXPECT_EQ(check_url("http://localhost:8080/v2/auth/authorize/", Query::kAllowed), "");
  EXPECT_EQ(check_url("http://[::1]:9000", Query::kRefused), "");
  EXPECT_EQ(check_url("https://[2001:db8::1]:443/x", Query::kRefused), "");
}

TEST(SettingRules, UrlTyposAreRefusedWithAReason) {
  EXPECT_NE(check_url("", Query::kRefused), "");
  EXPECT_NE(check_url("htps://open.tiktokapis.com", Query::kRefused), "");
  EXPECT_NE(check_url("open.tiktokapis.com", Query::kRefused), "");
  EXPECT_NE(check_url("https://", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com ", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktok apis.com", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com\n", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com:0", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com:65536", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com:44x", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com:", Query::kRefused), "");
  EXPECT_NE(check_url("https://user:pw@open.tiktokapis.com", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com/#x", Query::kAllowed), "");
}

TEST(SettingRules, PlainHttpOnlyToLoopback) {
  EXPECT_EQ(check_url("http://open.tiktokapis.com", Query::kRefused),
            "Plain http is allowed only to 127.0.0.1, localhost or [::1] (tests); use https.");
  EXPECT_NE(check_url("http://127.0.0.1.example.com", Query::kRefused), "");
}

TEST(SettingRules, QueryOnlyWhereAllowed) {
  EXPECT_NE(check_url("https://open.tiktokapis.com?x=1", Query::kRefused), "");
  EXPECT_NE(check_url("https://open.tiktokapis.com/v2?x=1", Query::kRefused), "");
  EXPECT_EQ(check_url("https://www.tiktok.com/v2/auth/authorize/?x=1", Query::kAllowed), "");
  EXPECT_EQ(check_url("https://www.tiktok.com?x=1", Query::kAllowed), "");
}

TEST(SettingRules, Scopes) {
  EXPECT_EQ(check_scopes("user.info.basic,user.info.stats,video.list"), "");
  EXPECT_EQ(check_scopes("user.info.basic"), "");
  EXPECT_EQ(check_scopes("user_info.v2"), "");
  EXPECT_NE(check_scopes(""), "");
  EXPECT_NE(check_scopes("user.info.basic, video.list"), "");
  EXPECT_NE(check_scopes("user.info.basic,,video.list"), "");
  EXPECT_NE(check_scopes("user.info.basic,"), "");
  EXPECT_NE(check_scopes(",video.list"), "");
  EXPECT_NE(check_scopes("User.Info.Basic"), "");
  EXPECT_NE(check_scopes("user.info.basic;video.list"), "");
}

TEST(SettingRules, ClientKey) {
  EXPECT_EQ(check_client_key(""), "");
  EXPECT_EQ(check_client_key("aw1b2c3d4e5f6g7h"), "");
  EXPECT_NE(check_client_key("aw1b2c3d 4e5f"), "");
  EXPECT_NE(check_client_key("aw1b2c3d4e5f\t"), "");
  EXPECT_NE(check_client_key("cl\xc3\xa9"), "");
}

TEST(SettingRules, DatabaseName) {
  EXPECT_EQ(check_database_name("reports"), "");
  EXPECT_EQ(check_database_name(std::string(63, 'd')), "");
  EXPECT_NE(check_database_name(""), "");
  EXPECT_NE(check_database_name(std::string(64, 'd')), "");
}
