// video/query (reference section 7): the request, the strict parser, and both
// behaviours for ids TikTok does not return (left out, or an error).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <stdexcept>

#include "core/tiktok_api.h"
#include "core/video_query_batch.h"
#include "http_fixtures.h"

using namespace tthub::tiktok;
using tthub::HttpRequest;
using tthub::HttpResponse;
using testing_fixtures::resp;

namespace {
const std::string kOk = R"("error":{"code":"ok","message":"","log_id":"L1"})";

std::string answer(const std::string &videos) { return R"({"data":{"videos":[)" + videos + "]}," + kOk + "}"; }
std::string video(const std::string &id, int views = 5) {
  return R"({"id":")" + id + R"(","view_count":)" + std::to_string(views) + R"(,"create_time":1700000000})";
}
std::vector<std::string> ids(int n, int from = 0) {
  std::vector<std::string> out;
  for (int i = from; i < from + n; ++i) out.push_back("7" + std::to_string(100 + i));
  return out;
}
}  // namespace

TEST(VideoQueryRequest, PostsIdsAsStringsInFiltersWithFieldsInTheQuery) {
  auto r = video_query_request("https://api.test/", "act.1", {"12345123451234512345", "7"});
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url.rfind("https://api.test/v2/video/query/?fields=", 0), 0u) << r.url;
  EXPECT_NE(r.url.find("view_count"), std::string::npos);
  EXPECT_NE(r.url.find("embed_link"), std::string::npos);
  EXPECT_EQ(r.url.find("is_aigc"), std::string::npos);  // UNCONFIRMED for query: not requested
  auto body = nlohmann::json::parse(r.body);
  ASSERT_TRUE(body["filters"]["video_ids"].is_array());
  EXPECT_EQ(body["filters"]["video_ids"][0], "12345123451234512345");  // a string, not a number
  EXPECT_EQ(body.size(), 1u);
  EXPECT_NE(std::find(r.headers.begin(), r.headers.end(), "Authorization: Bearer act.1"), r.headers.end());
  EXPECT_NE(std::find(r.headers.begin(), r.headers.end(), "Content-Type: application/json"), r.headers.end());
}

TEST(VideoQueryRequest, RefusesEmptyOversizedOrInvalidIdLists) {
  EXPECT_THROW(video_query_request("b", "t", {}), std::invalid_argument);
  EXPECT_NO_THROW(video_query_request("b", "t", ids(20)));
  EXPECT_THROW(video_query_request("b", "t", ids(21)), std::invalid_argument);
  EXPECT_THROW(video_query_request("b", "t", {"1\",\"2"}), std::invalid_argument);
  EXPECT_THROW(video_query_request("b", "t", {""}), std::invalid_argument);
  EXPECT_THROW(video_query_request("b", "t", {std::string(65, '1')}), std::invalid_argument);
}

TEST(VideoQueryParse, ReturnsVideosAndTheIdsLeftOut) {
  auto asked = ids(3);
  auto r = parse_video_query(resp(200, answer(video(asked[2], 9) + "," + video(asked[0], 3))), asked);
  ASSERT_TRUE(r.ok()) << r.failure.message;
  ASSERT_EQ(r.value->videos.size(), 2u);
  EXPECT_EQ(r.value->videos[0].id, asked[2]);
  EXPECT_EQ(*r.value->videos[0].view_count, 9);
  EXPECT_EQ(r.value->missing, std::vector<std::string>{asked[1]});
}

TEST(VideoQueryParse, AcceptsTheGetStartedShapeWithCursorAndHasMore) {
  auto asked = ids(1);
  auto r = parse_video_query(
      resp(200, R"({"data":{"videos":[)" + video(asked[0]) + R"(],"cursor":0,"has_more":false},)" + kOk + "}"), asked);
  ASSERT_TRUE(r.ok()) << r.failure.message;
  EXPECT_TRUE(r.value->missing.empty());
}

TEST(VideoQueryParse, NoVideosKeyMeansAllMissing) {
  auto asked = ids(2);
  auto r = parse_video_query(resp(200, R"({"data":{},)" + kOk + "}"), asked);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value->missing, asked);
}

TEST(VideoQueryParse, SizeEmbedLinkAndCoverAreParsed) {
  auto asked = ids(1);
  auto r = parse_video_query(resp(200, answer(R"({"id":")" + asked[0] + R"(","height":1920,"width":1080,
      "embed_link":"https://www.tiktok.com/embed/1","cover_image_url":"https://c/1?x-expires=1"})")), asked);
  ASSERT_TRUE(r.ok()) << r.failure.message;
  EXPECT_EQ(*r.value->videos[0].height, 1920);
  EXPECT_EQ(*r.value->videos[0].width, 1080);
  EXPECT_EQ(*r.value->videos[0].embed_link, "https://www.tiktok.com/embed/1");
  EXPECT_EQ(*r.value->videos[0].cover_image_url, "https://c/1?x-expires=1");
}

struct BadAnswer {
  const char *name;
  std::string body;
  const char *expect;
};

TEST(VideoQueryParse, StrictAboutWhatCameBack) {
  auto asked = ids(2);
  std::vector<BadAnswer> cases = {
      {"an id not asked for", answer(video("999")), "not asked for"},
      {"an id twice", answer(video(asked[0]) + "," + video(asked[0])), "twice"},
      {"a bad id", answer(R"({"id":"1 OR 1=1"})"), "\"id\" is not a video id"},
      {"no id", answer(R"({"view_count":1})"), "\"id\" is missing"},
      {"a negative counter", answer(R"({"id":")" + asked[0] + R"(","view_count":-1})"), "negative"},
      {"a string counter", answer(R"({"id":")" + asked[0] + R"(","like_count":"7"})"), "not an integer"},
      {"width past int32", answer(R"({"id":")" + asked[0] + R"(","width":4294967296})"), "out of range"},
      {"videos not an array", R"({"data":{"videos":{}},)" + kOk + "}", "not an array"},
      {"a video not an object", answer("7"), "not an object"},
  };
  for (const auto &c : cases) {
    auto r = parse_video_query(resp(200, c.body), asked);
    EXPECT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.failure.kind, FailureKind::kMalformed) << c.name;
    EXPECT_NE(r.failure.message.find(c.expect), std::string::npos) << c.name << ": " << r.failure.message;
  }
}

TEST(VideoQueryParse, HostileTextIsSanitisedAndCapped) {
  auto asked = ids(1);
  std::string title = std::string("a\\u0000b\\u001b[2J") + std::string(2000, 'x');
  auto r = parse_video_query(resp(200, answer(R"({"id":")" + asked[0] + R"(","title":")" + title + R"(",
      "video_description":"l1\r\nl2\u0000","share_url":")" + std::string(5000, 'u') + R"("})")), asked);
  ASSERT_TRUE(r.ok()) << r.failure.message;
  const Video &v = r.value->videos[0];
  EXPECT_EQ(v.title->find('\0'), std::string::npos);
  EXPECT_EQ(v.title->find('\x1b'), std::string::npos);
  EXPECT_LE(v.title->size(), kTitleCapBytes);
  EXPECT_EQ(*v.description, "l1\nl2");
  EXPECT_FALSE(v.share_url.has_value());  // a cut link would point elsewhere: dropped
}

TEST(VideoQueryParse, ErrorsAreClassifiedLikeEveryDisplayCall) {
  auto asked = ids(1);
  auto err = [](long status, const char *code) {
    return resp(status, std::string(R"({"data":{},"error":{"code":")") + code + R"(","message":"m","log_id":"L"}})");
  };
  EXPECT_EQ(parse_video_query(err(429, "rate_limit_exceeded"), asked).failure.kind, FailureKind::kRateLimited);
  EXPECT_EQ(parse_video_query(err(401, "access_token_invalid"), asked).failure.kind, FailureKind::kTokenInvalid);
  EXPECT_EQ(parse_video_query(err(500, "internal_error"), asked).failure.kind, FailureKind::kRetryable);
  EXPECT_EQ(parse_video_query(err(400, "invalid_params"), asked).failure.kind, FailureKind::kFatal);
  EXPECT_EQ(parse_video_query(resp(200, R"({"data":{"videos":[{"id":"1","view_count":5)"), asked).failure.kind,
            FailureKind::kMalformed);
}

namespace {
// A fake video/query: knows some ids; unknown ones are left out, or fail the request.
struct FakeQuery {
  std::set<std::string> known;
  bool error_on_unknown = false;
  std::vector<size_t> batch_sizes;
  int fail_after = -1;  // answer 500 from this call on
  tthub::HttpResponse operator()(const tthub::HttpRequest &req) {
    auto body = nlohmann::json::parse(req.body);
    std::vector<std::string> asked = body["filters"]["video_ids"];
    batch_sizes.push_back(asked.size());
    if (fail_after >= 0 && static_cast<int>(batch_sizes.size()) > fail_after)
      return resp(500, R"({"data":{},"error":{"code":"internal_error","message":"","log_id":"L"}})");
    std::string videos;
    for (const auto &id : asked) {
      if (!known.count(id)) {
        if (error_on_unknown)
          return resp(400, R"({"data":{},"error":{"code":"invalid_params","message":"video_ids","log_id":"L"}})");
        continue;
      }
      videos += (videos.empty() ? "" : ",") + video(id);
    }
    return resp(200, answer(videos));
  }
};
}  // namespace

TEST(QueryVideos, LeftOutIdsAreMissingInOneCall) {
  FakeQuery fake;
  auto asked = ids(20);
  for (size_t i = 0; i < asked.size(); ++i)
    if (i != 3 && i != 17) fake.known.insert(asked[i]);
  auto out = query_videos("b", "t", asked, std::ref(fake));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.videos.size(), 18u);
  EXPECT_EQ(out.missing, (std::vector<std::string>{asked[3], asked[17]}));
  EXPECT_FALSE(out.failure.has_value());
}

TEST(QueryVideos, AnErrorForUnknownIdsIsSplitUntilEachStandsAlone) {
  FakeQuery fake;
  fake.error_on_unknown = true;
  auto asked = ids(20);
  for (size_t i = 0; i < asked.size(); ++i)
    if (i != 3 && i != 17) fake.known.insert(asked[i]);
  auto out = query_videos("b", "t", asked, std::ref(fake));
  EXPECT_EQ(out.videos.size(), 18u);  // every known video still observed
  std::set<std::string> missing(out.missing.begin(), out.missing.end());
  EXPECT_EQ(missing, (std::set<std::string>{asked[3], asked[17]}));
  EXPECT_FALSE(out.failure.has_value());
  EXPECT_LE(out.calls, 2 * 20 - 1);
  EXPECT_GT(out.calls, 1);
  for (size_t n : fake.batch_sizes) EXPECT_LE(n, 20u);
}

TEST(QueryVideos, AllKnownCostsOneCallEitherWay) {
  FakeQuery fake;
  fake.error_on_unknown = true;
  auto asked = ids(20);
  fake.known.insert(asked.begin(), asked.end());
  auto out = query_videos("b", "t", asked, std::ref(fake));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.videos.size(), 20u);
  EXPECT_TRUE(out.missing.empty());
}

TEST(QueryVideos, AnotherFailureStopsAndKeepsWhatWasRead) {
  FakeQuery fake;
  fake.error_on_unknown = true;
  fake.fail_after = 2;  // the first split's halves: one answered, then a 500
  auto asked = ids(4);
  fake.known = {asked[0], asked[1], asked[2]};
  auto out = query_videos("b", "t", asked, std::ref(fake));
  ASSERT_TRUE(out.failure.has_value());
  EXPECT_EQ(out.failure->kind, FailureKind::kRetryable);
  EXPECT_EQ(out.videos.size(), 2u);  // the first half, answered before the failure
  EXPECT_TRUE(out.missing.empty());  // asked[3] was not proven missing
}
