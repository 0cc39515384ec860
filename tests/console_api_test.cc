// The endpoints behind the operator console: search with its bounds and
// cursor, the rules playground (POST /v1/explain), the arrivals gauge,
// claiming one message by id, and the console's own files.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "http_client.h"
#include "running_daemon.h"
#include "runtime/server/arrivals.h"
#include "runtime/server/console.h"
#include "test_util.h"

using namespace triage;
using test::HttpClient;
using test::Msg;
using test::RunningDaemon;

namespace {

std::vector<std::string> Ids(const std::string& body) {
  std::vector<std::string> ids;
  std::regex re(R"re(\{"id":"([^"]+)","queue")re");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  return ids;
}

std::string Cursor(const std::string& body) {
  std::smatch m;
  if (std::regex_search(body, m, std::regex(R"re("next_cursor":"([^"]+)")re"))) return m[1];
  return "";
}

// Twenty support messages (s:00..s:19), five sales leads, a Spanish one on
// Facebook for the Acme brand.
void Fill(HttpClient& c) {
  std::string batch;
  for (int i = 0; i < 20; ++i) {
    char id[8];
    std::snprintf(id, sizeof id, "s:%02d", i);
    batch += Msg(id, "refund please, my order " + std::to_string(10000 + i) + " never arrived") + "\n";
  }
  for (int i = 0; i < 5; ++i)
    batch += Msg("l:" + std::to_string(i), "how much is the enterprise plan for 200 seats? we want to buy") + "\n";
  batch += R"({"id":"es:1","channel":"facebook","kind":"public","brand":"Acme","text":"mi pedido no ha llegado, quiero un reembolso","lang":"es"})";
  REQUIRE(c.Request("POST", "/v1/messages", batch).status == 202);
}

}  // namespace

TEST_CASE("Search pages through every stored message with a cursor, each page bounded", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  Fill(c);
  std::set<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto r = c.Request("GET", "/v1/search?limit=7" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto ids = Ids(r.body);
    CHECK(ids.size() <= 7);
    for (const auto& id : ids) CHECK(seen.insert(id).second);  // no message twice
    cursor = Cursor(r.body);
    if (cursor.empty()) CHECK_THAT(r.body, Catch::EndsWith("\"next_cursor\":null}"));
    REQUIRE(++pages < 10);
  } while (!cursor.empty());
  CHECK(seen.size() == 26);
  CHECK(pages == 4);

  // The scan bound: a filter that matches nothing examines at most `scan`
  // messages and hands back where it stopped.
  auto r = c.Request("GET", "/v1/search?label=crisis&scan=10");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::StartsWith("{\"messages\":[],\"scanned\":10,\"next_cursor\":\"s:03\"}"));
  r = c.Request("GET", "/v1/search?label=crisis&scan=10&cursor=s:03");
  CHECK_THAT(r.body, Catch::Contains("\"scanned\":10,\"next_cursor\":\"s:13\""));
  r = c.Request("GET", "/v1/search?label=crisis&scan=10&cursor=s:13");
  CHECK_THAT(r.body, Catch::Contains("\"scanned\":6,\"next_cursor\":null"));
}

TEST_CASE("Search filters by queue, label, brand, channel, language, review, status and text", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  Fill(c);
  auto ids = [&](const std::string& q) {
    auto r = c.Request("GET", "/v1/search?" + q);
    INFO(q << " -> " << r.body);
    REQUIRE(r.status == 200);
    return Ids(r.body);
  };
  CHECK(ids("label=lead&limit=200").size() == 5);
  CHECK(ids("queue=sales&limit=200").size() == 5);
  CHECK(ids("queue=support&label=support&limit=200").size() == 21);
  CHECK(ids("brand=Acme") == std::vector<std::string>{"es:1"});
  CHECK(ids("channel=facebook") == std::vector<std::string>{"es:1"});
  CHECK(ids("lang=es") == std::vector<std::string>{"es:1"});
  CHECK(ids("q=ORDER%2010003") == std::vector<std::string>{"s:03"});
  CHECK(ids("status=claimed").empty());
  size_t review = ids("review=true&limit=200").size(), sure = ids("review=false&limit=200").size();
  CHECK(review + sure == 26);
  REQUIRE(c.Request("POST", "/v1/queues/sales/claim", R"({"agent":"ann"})").status == 200);
  CHECK(ids("status=claimed").size() == 1);
  auto one = c.Request("GET", "/v1/search?brand=Acme").body;
  CHECK_THAT(one, Catch::Contains(R"("channel":"facebook","brand":"Acme","created_at":"","text":"mi pedido no ha llegado, quiero un reembolso"})"));
}

TEST_CASE("Search refuses a bad filter with a 400 naming it", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"label=urgent", "label"},   {"status=gone", "status"},        {"review=maybe", "review"},
      {"lang=e%20n", "lang"},      {"limit=0", "limit"},             {"limit=201", "limit"},
      {"scan=100001", "scan"},     {"scan=x", "scan"},               {"colour=red", "colour"},
      {"queue=%zz", "queue"},      {"cursor=" + std::string(257, 'c'), "cursor"},
      {"brand=" + std::string(300, 'b'), "brand"},
  };
  for (const auto& [q, field] : bad) {
    auto r = c.Request("GET", "/v1/search?" + q);
    INFO(q << " -> " << r.body);
    CHECK(r.status == 400);
    CHECK_THAT(r.body, Catch::Contains("\"field\":\"" + field + "\""));
  }
  CHECK(c.Request("POST", "/v1/search").status == 405);
}

TEST_CASE("POST /v1/explain answers how the rules decide a text, and refuses bad input", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  auto r = c.Request("POST", "/v1/explain", R"({"text":"refund please, my order 12345 never arrived","lang":"en"})");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::StartsWith("{\"normalized\":\" refund please my order 12345 never arrived \",\"lang\":\"en\""));
  CHECK_THAT(r.body, Catch::Contains("{\"pattern\":\"refund*\",\"rules\":[\"refund_request\"]}"));
  CHECK_THAT(r.body, Catch::Contains("\"label\":\"support\",\"queue\":\"support\""));
  CHECK_THAT(r.body, Catch::Contains("\"fired\":[{\"id\":\"refund_request\",\"label\":\"support\",\"weight\":3,"
                                     "\"force\":false,\"file\":\"support.yaml\",\"line\":"));
  CHECK_THAT(r.body, Catch::Contains("\"model\":null"));  // the daemon tests run on the rules alone
  // The same text is decided the same as when it is ingested.
  auto stored = c.Request("POST", "/v1/messages", Msg("e:1", "refund please, my order 12345 never arrived"));
  CHECK_THAT(stored.body, Catch::Contains("\"label\":\"support\",\"queue\":\"support\""));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"lang":"en"})", "text"},
      {R"({"text":""})", "text"},
      {R"({"text":"hi","lang":"e n"})", "lang"},
      {R"({"text":"hi","kind":"secret"})", "kind"},
      {R"({"text":"hi","after":"urgent"})", "after"},
      {R"({"text":7})", "text"},
      {R"({"text":")" + std::string(70000, 'a') + "\"}", "text"},
  };
  for (const auto& [body, field] : bad) {
    auto e = c.Request("POST", "/v1/explain", body);
    INFO(body.substr(0, 60) << " -> " << e.body.substr(0, 200));
    CHECK(e.status == 400);
    CHECK_THAT(e.body, Catch::Contains("\"field\":\"" + field + "\""));
  }
  CHECK(c.Request("POST", "/v1/explain", "not json").status == 400);
  CHECK(c.Request("GET", "/v1/explain").status == 405);
}

TEST_CASE("ArrivalCounter counts per minute by label and channel, bounded", "[console]") {
  ArrivalCounter a;
  const int64_t t = 1'790'000'000'000;  // 2026-09-21T14:13:20Z
  a.Record(t, Label::kSupport, "x");
  a.Record(t + 1000, Label::kSupport, "x");
  a.Record(t + 60'000, Label::kLead, "facebook");
  std::string json = a.ToJson(t + 60'000, 2);
  CHECK(json ==
        R"({"minutes":[{"start":"2026-09-21T14:13:00Z","total":2,"counts":[{"label":"support","channel":"x","count":2}]},)"
        R"({"start":"2026-09-21T14:14:00Z","total":1,"counts":[{"label":"lead","channel":"facebook","count":1}]}],)"
        R"("totals":[{"label":"support","channel":"x","count":2},{"label":"lead","channel":"facebook","count":1}]})");
  // An hour later the ring has forgotten them.
  CHECK_THAT(a.ToJson(t + 7'200'000, 60), Catch::EndsWith("\"totals\":[]}"));
  // At most kMaxKeysPerMinute pairs a minute; the rest are "other".
  ArrivalCounter many;
  for (int i = 0; i < 100; ++i) many.Record(t, Label::kNone, "ch" + std::to_string(i));
  std::string m = many.ToJson(t, 1);
  CHECK_THAT(m, Catch::Contains("{\"label\":\"none\",\"channel\":\"other\",\"count\":36}"));
  CHECK_THAT(m, Catch::Contains("\"total\":100"));
}

TEST_CASE("GET /v1/arrivals counts what was stored, not duplicates", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  Fill(c);
  Fill(c);  // all duplicates
  auto r = c.Request("GET", "/v1/arrivals?minutes=5");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::Contains("\"totals\":[{\"label\":\"support\",\"channel\":\"x\",\"count\":20},"
                                     "{\"label\":\"lead\",\"channel\":\"x\",\"count\":5},"
                                     "{\"label\":\"support\",\"channel\":\"facebook\",\"count\":1}]"));
  CHECK(std::regex_search(r.body, std::regex(R"re(^\{"minutes":\[(\{"start":"[^"]+","total":\d+,"counts":\[[^\]]*\]\},?){5}\])re")));
  for (const char* q : {"minutes=0", "minutes=61", "minutes=soon"}) {
    auto e = c.Request("GET", std::string("/v1/arrivals?") + q);
    CHECK(e.status == 400);
    CHECK_THAT(e.body, Catch::Contains("\"field\":\"minutes\""));
  }
}

TEST_CASE("A claim with an id takes that message only, if it is ready on the queue", "[daemon][console]") {
  RunningDaemon d;
  HttpClient c(d.port());
  Fill(c);
  auto r = c.Request("POST", "/v1/queues/support/claim", R"({"agent":"ann","id":"s:07"})");
  REQUIRE(r.status == 200);
  CHECK_THAT(r.body, Catch::StartsWith("{\"messages\":[{\"id\":\"s:07\""));
  CHECK(Ids(c.Request("GET", "/v1/search?status=claimed").body) == std::vector<std::string>{"s:07"});
  // Not ready any more, on another queue, or no such message: 409.
  for (const char* body : {R"({"agent":"bob","id":"s:07"})", R"({"agent":"bob","id":"l:1"})", R"({"agent":"bob","id":"nope"})"}) {
    auto again = c.Request("POST", "/v1/queues/support/claim", body);
    INFO(body << " -> " << again.body);
    CHECK(again.status == 409);
    CHECK_THAT(again.body, Catch::Contains("\"field\":\"id\""));
  }
  CHECK(c.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob","id":""})").status == 400);
  CHECK(c.Request("POST", "/v1/queues/support/claim", R"({"agent":"bob","id":5})").status == 400);
}

TEST_CASE("The console's files are compiled in and served with their type, a strict CSP and an ETag", "[daemon][console]") {
  REQUIRE(kNumConsoleFiles >= 3);
  RunningDaemon d;
  HttpClient c(d.port());
  auto index = c.Request("GET", "/console");
  REQUIRE(index.status == 200);
  CHECK(index.headers["Content-Type"] == "text/html; charset=utf-8");
  CHECK_THAT(index.body, Catch::Contains("<script src=\"/console/app.js\" defer></script>"));
  CHECK(index.body.find("<script>") == std::string::npos);  // no inline script
  CHECK(index.headers["Content-Security-Policy"] == std::string(kConsoleCsp));
  CHECK(index.headers["X-Content-Type-Options"] == "nosniff");
  CHECK(index.headers["Cache-Control"] == "no-cache");
  CHECK(c.Request("GET", "/console/index.html").body == index.body);
  auto js = c.Request("GET", "/console/app.js");
  CHECK(js.headers["Content-Type"] == "text/javascript; charset=utf-8");
  CHECK(js.body.find("innerHTML") == std::string::npos);  // text goes in with textContent
  CHECK(c.Request("GET", "/console/style.css").headers["Content-Type"] == "text/css; charset=utf-8");
  HttpClient revalidate(d.port());
  revalidate.SetHeader("If-None-Match", js.headers["ETag"]);
  auto same = revalidate.Request("GET", "/console/app.js");
  CHECK(same.status == 304);
  CHECK(same.body.empty());
  auto missing = c.Request("GET", "/console/secret.txt");
  CHECK(missing.status == 404);
  CHECK(missing.headers["Content-Security-Policy"] == std::string(kConsoleCsp));
  CHECK(c.Request("GET", "/console/..%2Fdaemon.cc").status == 404);
  CHECK(c.Request("POST", "/console").status == 405);
}
