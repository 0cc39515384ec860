// `triage replay --data` with event lines, `triage maturity` in every format,
// and the HTML report rendered in headless Chromium.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>

#include "cli/commands.h"
#include "engine/rfc3339.h"
#include "test_util.h"

using namespace triage;

namespace {

std::string At(int64_t ms) { return FormatRfc3339(ms); }

constexpr int64_t kMin = 60'000;
constexpr int64_t kDay = 86'400'000;
constexpr int64_t kMonday = 1'794'787'200'000;  // 2026-11-16 00:00 UTC

std::string MessageLine(const std::string& id, const std::string& channel, int64_t t) {
  return R"({"id":")" + id + R"(","channel":")" + channel + R"(","kind":"public","brand":"Acme","text":"where is my order, it never arrived","lang":"en","created_at":")" +
         At(t) + "\"}\n";
}

std::string EventLine(const std::string& id, const std::string& type, int64_t t, const std::string& agent = "alice") {
  return R"({"type":"event","message":")" + id + R"(","event":")" + type + R"(","agent":")" + agent + R"(","at":")" +
         At(t) + "\"}\n";
}

// Two weeks, two conversations a day on alternating channels: answered in 20
// minutes and resolved, except one a week never answered.
std::string History() {
  std::string a;
  for (int day = 0; day < 14; ++day)
    for (int k = 0; k < 2; ++k) {
      std::string id = "h:" + std::to_string(day) + ":" + std::to_string(k);
      int64_t t = kMonday + day * kDay + (9 + 3 * k) * 60 * kMin;
      a += MessageLine(id, k ? "instagram" : "x", t);
      if (day % 7 == 3 && k == 1) continue;  // never answered
      a += EventLine(id, "replied", t + 20 * kMin, k ? "bob" : "alice");
      a += EventLine(id, "resolved", t + 50 * kMin, k ? "bob" : "alice");
    }
  return a;
}

}  // namespace

TEST_CASE("replay --data stores messages and event lines, once, and maturity reports on them", "[maturity][replay]") {
  test::TempDir dir;
  std::string archive = dir.Write("history.ndjson", History() + R"({"type":"event","message":"h:0:0","event":"liked","at":"2026-11-16T10:00:00Z"})" "\n");
  ReplayOptions r;
  r.common.rules = TRIAGE_RULES_DIR;
  r.common.no_cache = true;
  r.archives = {archive};
  r.data = dir.path() + "/data";
  test::CommandRun first = test::RunCommand(r, &RunReplay);
  CHECK(first.rc == kExitSkipped);  // the bad event line, named
  CHECK_THAT(first.err, Catch::Contains("history.ndjson:81: malformed line skipped: event line: field 'event': 'liked' is not replied"));
  CHECK_THAT(first.err, Catch::Contains("stored in " + r.data + ": 28 messages (0 already there), 52 events"));
  CHECK(std::count(first.out.begin(), first.out.end(), '\n') == 28);  // decisions for messages only
  // A second replay into the same directory adds nothing twice.
  test::CommandRun again = test::RunCommand(r, &RunReplay);
  CHECK_THAT(again.err, Catch::Contains(": 0 messages (28 already there), 0 events (52 for messages not stored by this run skipped)"));

  MaturityOptions m;
  m.data = r.data;
  m.format = "json";
  test::CommandRun json = test::RunCommand(m, &RunMaturity);
  REQUIRE(json.rc == kExitOk);
  // 28 conversations; 26 answered in 20 minutes; support's SLA is an hour
  // (the default config): the 2 unanswered ones missed it.
  CHECK_THAT(json.out, Catch::Contains("\"all\":{\"conversations\":28,\"messages\":28,\"responded\":26,\"resolved\":26,"));
  CHECK_THAT(json.out, Catch::Contains("\"sla_hit\":26,\"sla_missed\":2,\"sla_pending\":0"));
  CHECK_THAT(json.out, Catch::Contains("\"first_response\":{\"count\":26,\"p50_seconds\":1200,\"p90_seconds\":1200,\"p99_seconds\":1200}"));
  CHECK_THAT(json.out, Catch::Contains("\"quadrant\":\""));
  CHECK_THAT(json.out, Catch::Contains("\"weekly\":[{\"period\":\"2026-W47\""));
  // Same data, same bytes.
  CHECK(test::RunCommand(m, &RunMaturity).out == json.out);

  m.format = "text";
  m.from = "2026-11-23";
  test::CommandRun text = test::RunCommand(m, &RunMaturity);
  CHECK_THAT(text.out, Catch::StartsWith("Social Maturity Index, 2026-11-23 to 2026-11-30"));
  CHECK_THAT(text.out, Catch::Contains("conversations 14, responded 13, resolved 13"));

  m.from = "23/11/2026";
  CHECK(test::RunCommand(m, &RunMaturity).rc == kExitUsage);
  m.from = "";
  m.data = dir.path() + "/empty";
  test::CommandRun empty = test::RunCommand(m, &RunMaturity);
  CHECK(empty.rc == kExitError);
  CHECK_THAT(empty.err, Catch::Contains("holds no messages"));
}

TEST_CASE("The HTML report renders in headless Chromium without errors", "[maturity][html]") {
  test::TempDir dir;
  ReplayOptions r;
  r.common.rules = TRIAGE_RULES_DIR;
  r.common.no_cache = true;
  r.archives = {dir.Write("history.ndjson", History())};
  r.data = dir.path() + "/data";
  REQUIRE(test::RunCommand(r, &RunReplay).rc == kExitOk);
  MaturityOptions m;
  m.data = r.data;
  m.format = "html";
  test::CommandRun html = test::RunCommand(m, &RunMaturity);
  REQUIRE(html.rc == kExitOk);
  // Self-contained: nothing to fetch.
  CHECK(html.out.find("src=") == std::string::npos);
  CHECK(html.out.find("href=") == std::string::npos);
  CHECK(html.out.find("url(") == std::string::npos);
  std::string page = dir.Write("report.html", html.out);

  // Debian's chromium (scripts/setup.sh installs it).
  const char* candidates[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"};
  std::string browser;
  for (const char* c : candidates)
    if (std::FILE* f = std::fopen(c, "r")) {
      std::fclose(f);
      browser = c;
      break;
    }
  INFO("headless Chromium is needed for this test: apt-get install chromium (scripts/setup.sh does)");
  REQUIRE_FALSE(browser.empty());
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
      " --user-data-dir=" + dir.path() + "/profile --window-size=1200,1100";
  std::string png = dir.path() + "/report.png";
  std::string cmd = browser + flags + " --screenshot=" + png + " file://" + page + " > " + dir.path() + "/shot.log 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string image = test::ReadFile(png);
  REQUIRE(image.size() > 20000);  // a blank page compresses to far less
  CHECK(image.substr(1, 3) == "PNG");
  // The page's script ran to the end and found the matrix, the point and
  // both charts (it marks <body data-ready="yes">); a script error would
  // leave the attribute unset.
  std::string dom_file = dir.path() + "/dom.html";
  cmd = browser + flags + " --dump-dom file://" + page + " > " + dom_file + " 2> " + dir.path() + "/dom.log";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string dom = test::ReadFile(dom_file);
  CHECK_THAT(dom, Catch::Contains("data-ready=\"yes\""));
  CHECK_THAT(dom, Catch::Contains("<svg id=\"matrix\""));
  CHECK_THAT(dom, Catch::Contains("id=\"quadrant\""));
}
