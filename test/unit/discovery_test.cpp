// Discovery reads video/list newest first only until the first already-known video.
#include "core/discovery.h"

#include <gtest/gtest.h>

#include <set>

using tthub::discovery::Discovery;
using tthub::tiktok::Video;
using tthub::tiktok::VideoPage;

namespace {
// A catalogue of n videos, newest first: video i posted at 1,000,000 - i*600.
struct Catalogue {
  int n;
  VideoPage page(std::optional<int64_t> cursor, int size = 20) const {
    int start = cursor ? static_cast<int>((1000000LL * 1000 - *cursor) / 600000 + 1) : 0;
    VideoPage p;
    for (int i = start; i < std::min(n, start + size); ++i) {
      Video v;
      v.id = std::to_string(5000 + i);
      v.create_time = 1000000 - i * 600;
      p.videos.push_back(v);
    }
    p.has_more = start + size < n;
    p.cursor = p.videos.empty() ? 0 : *p.videos.back().create_time * 1000;
    return p;
  }
};

struct Run {
  int pages = 0;
  int64_t fresh = 0, observed = 0;
  Discovery::Stop stop;
};

Run run(const Catalogue &c, std::set<std::string> known, std::optional<int64_t> newest_known = std::nullopt) {
  Discovery d([&](const std::string &id) { return known.count(id) > 0; }, newest_known);
  Run r;
  while (d.wants_more()) {
    auto got = d.take(c.page(d.next_cursor()));
    r.fresh += static_cast<int64_t>(got.new_videos.size());
    r.observed += static_cast<int64_t>(got.observed.size());
    EXPECT_LT(d.pages(), 10000) << "discovery does not end";
    if (d.pages() >= 10000) break;
  }
  r.pages = d.pages();
  r.stop = d.stopped_by();
  EXPECT_EQ(r.fresh, d.new_count());
  return r;
}

std::set<std::string> known_from(int first, int n) {
  std::set<std::string> out;
  for (int i = first; i < n; ++i) out.insert(std::to_string(5000 + i));
  return out;
}
}  // namespace

TEST(Discovery, NothingPostedCostsOnePage) {
  Catalogue c{1000};
  auto r = run(c, known_from(0, 1000));
  EXPECT_EQ(r.pages, 1);  // not 50: the 1,000-video store
  EXPECT_EQ(r.fresh, 0);
  EXPECT_EQ(r.observed, 20);  // the page read is observed for free
  EXPECT_EQ(r.stop, Discovery::Stop::kKnownVideo);
}

TEST(Discovery, ReadsOnlyUntilTheFirstKnownVideo) {
  Catalogue c{1000};
  auto r = run(c, known_from(45, 1000));  // 45 new videos on top
  EXPECT_EQ(r.fresh, 45);
  EXPECT_EQ(r.pages, 3);
  EXPECT_EQ(r.stop, Discovery::Stop::kKnownVideo);
}

TEST(Discovery, AStoreWithNoKnownVideoReadsItAll) {
  Catalogue c{95};
  auto r = run(c, {});
  EXPECT_EQ(r.fresh, 95);
  EXPECT_EQ(r.pages, 5);
  EXPECT_EQ(r.stop, Discovery::Stop::kEndOfList);
}

TEST(Discovery, ADeletedNewestKnownVideoStopsAtTheNextKnownOne) {
  Catalogue c{100};
  auto known = known_from(3, 100);
  known.insert("gone");  // the newest known video, deleted: not on the list, the next known one stops
  auto r = run(c, known);
  EXPECT_EQ(r.fresh, 3);
  EXPECT_EQ(r.pages, 1);
}

TEST(Discovery, StopsAtAVideoOlderThanTheNewestKnownEvenIfTheKnownSetIsPartial) {
  Catalogue c{1000};
  // The caller gave no ids at all, only the newest known create_time (video 30's):
  // that bounds the reading. A video posted in that same second still counts as new
  // (the database's upsert knows it), anything older ends the reading.
  auto r = run(c, {}, 1000000 - 30 * 600);
  EXPECT_EQ(r.fresh, 31);
  EXPECT_EQ(r.pages, 2);
  EXPECT_EQ(r.stop, Discovery::Stop::kKnownVideo);
}

TEST(Discovery, ACursorThatDoesNotMoveBackStops) {
  Discovery d([](const std::string &) { return false; }, std::nullopt);
  VideoPage p;
  Video v;
  v.id = "1";
  v.create_time = 100;
  p.videos = {v};
  p.has_more = true;
  p.cursor = 100000;
  d.take(p);
  ASSERT_TRUE(d.wants_more());
  EXPECT_EQ(*d.next_cursor(), 100000);
  v.id = "2";
  p.videos = {v};
  auto got = d.take(p);  // same cursor again
  EXPECT_EQ(got.new_videos.size(), 1u);
  EXPECT_FALSE(d.wants_more());
  EXPECT_EQ(d.stopped_by(), Discovery::Stop::kStalledCursor);
}

TEST(Discovery, AnOverlappingPageIsNotCountedTwice) {
  Discovery d([](const std::string &) { return false; }, std::nullopt);
  VideoPage a, b;
  for (int i = 0; i < 3; ++i) {
    Video v;
    v.id = std::to_string(10 + i);
    v.create_time = 1000 - i;
    a.videos.push_back(v);
  }
  a.has_more = true;
  a.cursor = 998000;
  b.videos = {a.videos[2]};  // the boundary video again
  Video w;
  w.id = "20";
  w.create_time = 990;
  b.videos.push_back(w);
  d.take(a);
  auto got = d.take(b);
  EXPECT_EQ(got.new_videos.size(), 1u);
  EXPECT_EQ(got.observed.size(), 1u);
  EXPECT_EQ(d.new_count(), 4);
}
