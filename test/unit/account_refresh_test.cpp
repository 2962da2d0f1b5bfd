#include "core/account_refresh.h"

#include <gtest/gtest.h>

#include "http_fixtures.h"

using namespace tthub;
using namespace tthub::refresh;
using testing_fixtures::resp;

namespace {
constexpr int64_t kNow = 1800000000;
const std::string kOk = R"("error":{"code":"ok","message":"","log_id":"L"})";

tiktok::AccountCredentials creds(int64_t expires_in = 3600) {
  tiktok::AccountCredentials c;
  c.open_id = "o1";
  c.access_token = "act.1";
  c.refresh_token = "rft.1";
  c.scope = "user.info.basic,user.info.stats,video.list";
  c.access_expires_at = kNow + expires_in;
  c.refresh_expires_at = kNow + 86400 * 100;
  return c;
}
tiktok::SyncConfig config() {
  tiktok::SyncConfig c;
  c.api_base_url = "http://sim";
  c.client_key = "ck";
  c.client_secret = "cs";
  return c;
}
std::string video(const std::string &id, int64_t created) {
  return R"({"id":")" + id + R"(","create_time":)" + std::to_string(created) + R"(,"view_count":7})";
}
HttpResponse list_page(const std::vector<std::pair<std::string, int64_t>> &videos, int64_t cursor, bool more) {
  std::string v;
  for (const auto &[id, created] : videos) v += (v.empty() ? "" : ",") + video(id, created);
  return resp(200, R"({"data":{"videos":[)" + v + R"(],"cursor":)" + std::to_string(cursor) +
                       R"(,"has_more":)" + (more ? "true" : "false") + "}," + kOk + "}");
}
HttpResponse query_answer(const std::vector<std::string> &ids) {
  std::string v;
  for (const auto &id : ids) v += (v.empty() ? "" : ",") + video(id, kNow - 100);
  return resp(200, R"({"data":{"videos":[)" + v + "]}," + kOk + "}");
}
HttpResponse query_refused() {
  return resp(400, R"({"data":{},"error":{"code":"invalid_params","message":"video_ids","log_id":"L"}})");
}
HttpResponse user_ok() { return resp(200, R"({"data":{"user":{"open_id":"o1","follower_count":5}},)" + kOk + "}"); }
HttpResponse token_ok() {
  return resp(200, R"({"open_id":"o1","scope":"user.info.basic,user.info.stats,video.list","access_token":"act.2",
    "expires_in":7200,"refresh_token":"rft.2","refresh_expires_in":15552000,"token_type":"Bearer"})");
}
HttpResponse token_invalid() {
  return resp(401, R"({"data":{},"error":{"code":"access_token_invalid","message":"","log_id":"L"}})");
}
}  // namespace

TEST(AccountRefresh, StepsInOrderUserDiscoveryQueriesPass) {
  AccountWork w;
  w.user_info = true;
  w.discover = true;
  w.known_ids = {"k1"};
  w.list_pages = 1;
  w.list_cursor = 5000;
  w.query_batches = {{"a", "b"}};
  w.batch_tiers = {Tier::kFresh};
  AccountRefresh r(creds(), config(), w, kNow);
  ASSERT_FALSE(r.precheck_failure());
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kUserInfo);
  EXPECT_TRUE(std::holds_alternative<tiktok::event::UserFetched>(r.on_response(user_ok())));
  // Discovery reads from the top (no cursor) and stops at the first known video.
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoList);
  EXPECT_EQ(r.request().body, R"({"max_count":20})");
  auto d1 = r.on_response(list_page({{"n2", kNow - 10}, {"n1", kNow - 20}}, 9000, true));
  ASSERT_TRUE(std::holds_alternative<event::ListRead>(d1));
  EXPECT_TRUE(std::get<event::ListRead>(d1).discovery);
  EXPECT_FALSE(std::get<event::ListRead>(d1).discovery_done);
  EXPECT_EQ(std::get<event::ListRead>(d1).new_videos, 2);
  EXPECT_EQ(r.request().body, R"({"cursor":9000,"max_count":20})");
  auto d2 = r.on_response(list_page({{"n0", kNow - 30}, {"k1", kNow - 40}, {"k0", kNow - 50}}, 8000, true));
  const auto &l2 = std::get<event::ListRead>(d2);
  EXPECT_TRUE(l2.discovery_done);
  EXPECT_EQ(l2.new_videos, 1);
  EXPECT_EQ(l2.videos.size(), 3u) << "every video on the page is an observation, known ones too";
  // Then the query batch, counted under its tier: before the pass's pages, which may
  // wait long for list slots when the list budget is short.
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["a","b"]}})");
  auto q = r.on_response(query_answer({"a", "b"}));
  EXPECT_EQ(std::get<event::QueryRead>(q).videos.size(), 2u);
  EXPECT_EQ(std::get<event::QueryRead>(q).tier, Tier::kFresh);
  // The full pass continues at its own cursor, for the planned number of pages.
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoList);
  EXPECT_EQ(r.request().body, R"({"cursor":5000,"max_count":20})");
  auto p1 = r.on_response(list_page({{"o1", kNow - 900}}, 4000, true));
  const auto &lp = std::get<event::ListRead>(p1);
  EXPECT_TRUE(lp.pass);
  EXPECT_FALSE(lp.pass_complete);
  EXPECT_EQ(lp.pass_cursor, 4000);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.calls(), 5);
}

// What the engine serves first on a spent endpoint: fresh videos' queries, and
// nothing else (discoveries keep their place behind the passes' reserve, as planned).
TEST(AccountRefresh, OnlyFreshVideosQueriesGoFirst) {
  AccountWork w;
  w.user_info = true;
  w.user_info_tier = Tier::kFresh;
  w.discover = true;
  w.known_ids = {"k1"};
  w.list_pages = 1;
  w.list_cursor = 5000;
  w.query_batches = {{"f"}, {"o"}};
  w.batch_tiers = {Tier::kFresh, Tier::kOld};
  AccountRefresh r(creds(), config(), w, kNow);
  EXPECT_FALSE(r.fresh_next()) << "user/info";
  r.on_response(user_ok());
  EXPECT_FALSE(r.fresh_next()) << "discovery";
  // The discovery page answers without the queried ids, so both batches stay.
  r.on_response(list_page({{"k1", kNow - 40}}, 8000, true));
  EXPECT_TRUE(r.fresh_next()) << "the fresh batch";
  // A rejected token: the refresh stands for the request it interrupted.
  r.on_response(token_invalid());
  ASSERT_EQ(r.endpoint(), tiktok::Endpoint::kToken);
  EXPECT_TRUE(r.fresh_next());
  r.on_response(token_ok());
  r.on_response(query_answer({"f"}));
  EXPECT_FALSE(r.fresh_next()) << "the old batch";
  r.on_response(query_answer({"o"}));
  ASSERT_EQ(r.endpoint(), tiktok::Endpoint::kVideoList);
  EXPECT_FALSE(r.fresh_next()) << "the pass";
}

TEST(AccountRefresh, APassFromTheTopReadsItsFirstPageBeforeTheQueriesAndTheRestAfter) {
  AccountWork w;
  w.list_pages = 3;
  w.query_batches = {{"n1", "old1"}};
  AccountRefresh r(creds(), config(), w, kNow);
  // Its first page is the discovery: what it returns is not queried again.
  EXPECT_EQ(r.request().body, R"({"max_count":20})");
  auto p1 = r.on_response(list_page({{"n1", kNow - 10}}, 9000, true));
  EXPECT_TRUE(std::get<event::ListRead>(p1).pass);
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["old1"]}})");
  r.on_response(query_answer({"old1"}));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoList);
  EXPECT_EQ(r.request().body, R"({"cursor":9000,"max_count":20})");
  r.on_response(list_page({{"o2", kNow - 900}}, 8000, true));
  auto p3 = r.on_response(list_page({{"o3", kNow - 9000}}, 0, false));
  EXPECT_TRUE(std::get<event::ListRead>(p3).pass_complete);
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.calls(), 4);
}

TEST(AccountRefresh, PassToTheEndIsComplete) {
  AccountWork w;
  w.list_pages = 10;
  AccountRefresh r(creds(), config(), w, kNow);
  EXPECT_EQ(r.request().body, R"({"max_count":20})");
  r.on_response(list_page({{"a", kNow - 1}}, 3000, true));
  auto last = r.on_response(list_page({{"b", kNow - 2}}, 2000, false));
  EXPECT_TRUE(std::get<event::ListRead>(last).pass_complete);
  EXPECT_FALSE(std::get<event::ListRead>(last).pass_cursor);
  EXPECT_TRUE(r.done());
}

TEST(AccountRefresh, PassCursorThatDoesNotMoveBackIsMalformed) {
  AccountWork w;
  w.list_pages = 10;
  w.list_cursor = 3000;
  AccountRefresh r(creds(), config(), w, kNow);
  auto e = r.on_response(list_page({{"a", kNow - 1}}, 3000, true));
  ASSERT_TRUE(std::holds_alternative<tiktok::event::Failed>(e));
  EXPECT_EQ(std::get<tiktok::event::Failed>(e).failure.kind, tiktok::FailureKind::kMalformed);
}

// UNCONFIRMED behaviour 1: video/query leaves an unknown id out of its answer.
TEST(AccountRefresh, QueryIdLeftOutIsMissing) {
  AccountWork w;
  w.query_batches = {{"a", "gone", "b"}};
  AccountRefresh r(creds(), config(), w, kNow);
  auto q = r.on_response(query_answer({"a", "b"}));
  const auto &read = std::get<event::QueryRead>(q);
  EXPECT_EQ(read.videos.size(), 2u);
  EXPECT_EQ(read.missing, std::vector<std::string>{"gone"});
  EXPECT_TRUE(r.done());
}

// UNCONFIRMED behaviour 2: video/query refuses the whole request for an unknown id:
// halves until the refused id stands alone, the others observed.
TEST(AccountRefresh, QueryRefusedForAnIdIsSplitUntilTheIdStandsAlone) {
  AccountWork w;
  w.query_batches = {{"a", "gone", "b", "c"}};
  AccountRefresh r(creds(), config(), w, kNow);
  std::vector<std::string> observed, missing;
  auto take = [&](const HttpResponse &resp) {
    auto e = r.on_response(resp);
    const auto &q = std::get<event::QueryRead>(e);
    for (const auto &v : q.videos) observed.push_back(v.id);
    missing.insert(missing.end(), q.missing.begin(), q.missing.end());
  };
  take(query_refused());  // [a gone b c] -> [a gone] [b c]
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["a","gone"]}})");
  take(query_refused());  // [a gone] -> [a] [gone]
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["a"]}})");
  take(query_answer({"a"}));
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["gone"]}})");
  take(query_refused());  // alone: missing
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["b","c"]}})");
  take(query_answer({"b", "c"}));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(observed, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(missing, std::vector<std::string>{"gone"});
  EXPECT_EQ(r.calls(), 5);
}

TEST(AccountRefresh, ExpiringTokenIsRefreshedFirstAndRejectedTokenOnce) {
  AccountWork w;
  w.query_batches = {{"a"}};
  AccountRefresh r(creds(60), config(), w, kNow);
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kToken);
  EXPECT_TRUE(std::holds_alternative<tiktok::event::TokensRefreshed>(r.on_response(token_ok())));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  // Rejected after the refresh: the owner must reconnect, not another refresh.
  auto e = r.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<tiktok::event::Failed>(e));
  EXPECT_EQ(std::get<tiktok::event::Failed>(e).failure.kind, tiktok::FailureKind::kReconnect);
}

TEST(AccountRefresh, TokenRejectedAfterTheRefreshedOneWorkedIsRefreshedAgain) {
  AccountWork w;
  w.query_batches = {{"a"}, {"b"}};
  AccountRefresh r(creds(60), config(), w, kNow);
  ASSERT_TRUE(std::holds_alternative<tiktok::event::TokensRefreshed>(r.on_response(token_ok())));
  ASSERT_TRUE(std::holds_alternative<event::QueryRead>(r.on_response(query_answer({"a"}))));
  // The refreshed token worked, then was rejected: another refresh, then batch b again.
  auto e = r.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<tiktok::event::RetryLater>(e));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kToken);
  ASSERT_TRUE(std::holds_alternative<tiktok::event::TokensRefreshed>(r.on_response(token_ok())));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  auto e2 = r.on_response(token_invalid());
  ASSERT_TRUE(std::holds_alternative<tiktok::event::Failed>(e2));
  EXPECT_EQ(std::get<tiktok::event::Failed>(e2).failure.kind, tiktok::FailureKind::kReconnect);
}

TEST(AccountRefresh, RejectedTokenIsRefreshedThenTheSameRequestAgain) {
  AccountWork w;
  w.user_info = true;
  w.query_batches = {{"a"}};
  AccountRefresh r(creds(), config(), w, kNow);
  r.on_response(user_ok());
  EXPECT_TRUE(std::holds_alternative<tiktok::event::RetryLater>(r.on_response(token_invalid())));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kToken);
  r.on_response(token_ok());
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  EXPECT_NE(r.request().headers[0].find("act.2"), std::string::npos);
}

TEST(AccountRefresh, TransientFailuresRetryInPlaceThenFail) {
  AccountWork w;
  w.query_batches = {{"a"}};
  auto c = config();
  c.retry.max_retries = 2;
  AccountRefresh r(creds(), c, w, kNow);
  HttpResponse down = resp(503, "");
  EXPECT_TRUE(std::holds_alternative<tiktok::event::RetryLater>(r.on_response(down)));
  EXPECT_TRUE(std::holds_alternative<tiktok::event::RetryLater>(r.on_response(down)));
  EXPECT_TRUE(std::holds_alternative<tiktok::event::Failed>(r.on_response(down)));
  EXPECT_EQ(r.retries(), 2);
}

TEST(AccountRefresh, NothingPlannedIsDoneAndMissingScopeIsAReconnect) {
  AccountRefresh idle(creds(), config(), AccountWork{}, kNow);
  EXPECT_TRUE(idle.done());
  auto c = creds();
  c.scope = "user.info.basic";
  AccountWork w;
  w.user_info = true;
  AccountRefresh r(c, config(), w, kNow);
  ASSERT_TRUE(r.precheck_failure());
  EXPECT_EQ(r.precheck_failure()->kind, tiktok::FailureKind::kReconnect);
}

TEST(AccountRefresh, VideosDiscoveryReturnedAreNotQueriedAgain) {
  AccountWork w;
  w.discover = true;
  w.known_ids = {"k1"};
  w.query_batches = {{"n1", "old1"}, {"n2"}};
  AccountRefresh r(creds(), config(), w, kNow);
  r.on_response(list_page({{"n2", kNow - 10}, {"n1", kNow - 20}, {"k1", kNow - 30}}, 9000, true));
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["old1"]}})") << "n1 and n2 were on the page";
  r.on_response(query_answer({"old1"}));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.calls(), 2);
}

TEST(AccountRefresh, QueriesGoFirstWhenAskedThenTheReadsTheyOvertook) {
  AccountWork w;
  w.user_info = true;
  w.discover = true;
  w.known_ids = {"k1"};
  w.list_pages = 1;
  w.list_cursor = 5000;
  w.query_batches = {{"a"}, {"b"}};
  AccountRefresh r(creds(), config(), w, kNow);
  ASSERT_EQ(r.endpoint(), tiktok::Endpoint::kUserInfo);
  ASSERT_TRUE(r.queries_first());  // user/info has no slot, video/query has
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kVideoQuery);
  r.on_response(query_answer({"a"}));
  EXPECT_EQ(r.request().body, R"({"filters":{"video_ids":["b"]}})");
  r.on_response(query_answer({"b"}));
  // Then what they overtook, in its order.
  EXPECT_EQ(r.endpoint(), tiktok::Endpoint::kUserInfo);
  EXPECT_FALSE(r.queries_first()) << "no query left";
  r.on_response(user_ok());
  EXPECT_EQ(r.request().body, R"({"max_count":20})");
  r.on_response(list_page({{"k1", kNow - 40}}, 8000, true));
  EXPECT_EQ(r.request().body, R"({"cursor":5000,"max_count":20})");
  r.on_response(list_page({{"o1", kNow - 900}}, 4000, true));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.calls(), 5);
}
