// `triage replay --data` with event lines, `triage maturity` in every format,
// and the HTML report rendered in headless Chromium (and measured there: no
// label cut at an SVG edge, nothing wider than a phone).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>
#include <regex>

#include "cli/commands.h"
#include "base/rfc3339.h"
#include "engine/store/queue_store.h"
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

// A third week answered slowly: one conversation a day after 1656 minutes
// (27.6 hours), the other in 20 minutes, and on the last day both after
// 43045.8 minutes (29.9 days), so the week's 90th percentile runs to days.
std::string SlowWeek() {
  std::string a;
  for (int day = 14; day < 21; ++day)
    for (int k = 0; k < 2; ++k) {
      std::string id = "s:" + std::to_string(day) + ":" + std::to_string(k);
      int64_t t = kMonday + day * kDay + (9 + 3 * k) * 60 * kMin;
      a += MessageLine(id, k ? "instagram" : "x", t);
      int64_t wait = day == 20 ? int64_t{43'045'800} * 60 : k ? 20 * kMin : 1656 * kMin;
      a += EventLine(id, "replied", t + wait, k ? "bob" : "alice");
    }
  return a;
}

// The first browser of Debian's chromium packages found, or "".
std::string FindChromium() {
  for (const char* c : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::FILE* f = std::fopen(c, "r")) {
      std::fclose(f);
      return c;
    }
  return "";
}

// `s` as the value of a double-quoted HTML attribute.
std::string AttributeEscape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '&' ? "&amp;" : c == '"' ? "&quot;" : std::string(1, c);
  return o;
}

// A script that measures the page as Chromium laid it out and reports to
// the page around its frame: every SVG text whose box leaves its SVG (a
// label cut at the edge), how many texts it measured (so an empty list
// means something), the page's width against the frame's, and any element
// that has to scroll sideways (a table too wide for a phone).
const char* kMeasureScript = R"(<script>
(function () {
  var clipped = [], texts = 0, scrolling = [];
  document.querySelectorAll('svg').forEach(function (svg) {
    var box = svg.getBoundingClientRect();
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      texts++;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5)
        clipped.push(svg.id + ' "' + t.textContent + '" left ' + Math.round(r.left - box.left) + ' right ' + Math.round(box.right - r.right));
    });
  });
  document.querySelectorAll('body *').forEach(function (e) {
    if (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible')
      scrolling.push(e.tagName + '.' + e.className + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
  });
  var out = parent.document.body, id = window.frameElement.id;
  out.setAttribute('data-' + id + '-clipped', clipped.join(' | '));
  out.setAttribute('data-' + id + '-texts', texts);
  out.setAttribute('data-' + id + '-scrolling', scrolling.join(' | '));
  out.setAttribute('data-' + id + '-width', document.documentElement.scrollWidth + ' of ' + window.innerWidth);
})();
</script>)";

// The value of `data-NAME` on the <body> of a dumped DOM ("<missing>" if absent).
std::string BodyData(const std::string& dom, const std::string& name) {
  size_t body = dom.find("<body");
  std::string key = " data-" + name + "=\"";
  size_t at = dom.find(key, body);
  if (body == std::string::npos || at == std::string::npos || at > dom.find('>', body)) return "<missing>";
  at += key.size();
  return dom.substr(at, dom.find('"', at) - at);
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
  {
    // A store with no messages (a missing directory is another error).
    std::unique_ptr<QueueStore> created;
    REQUIRE(QueueStore::Open(m.data, QueueStoreOptions(), &created).ok());
  }
  test::CommandRun empty = test::RunCommand(m, &RunMaturity);
  CHECK(empty.rc == kExitError);
  CHECK_THAT(empty.err, Catch::Contains("holds no messages"));
}

TEST_CASE("The HTML report renders in headless Chromium without errors", "[maturity][html]") {
  test::TempDir dir;
  ReplayOptions r;
  r.common.rules = TRIAGE_RULES_DIR;
  r.common.no_cache = true;
  r.archives = {dir.Write("history.ndjson", History() + SlowWeek())};
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
  std::string browser = FindChromium();
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

  // Every number readable, on a desktop and on a phone: the page, with the
  // measuring script, in two frames 1200 and 390 px wide (srcdoc frames
  // share the outer page's origin, so the script can report to it).
  std::string measured = html.out;
  measured.insert(measured.rfind("</body>"), kMeasureScript);
  std::string frames = "<!DOCTYPE html><html><body>";
  for (int width : {1200, 390})
    frames += "<iframe id=\"w" + std::to_string(width) + "\" width=\"" + std::to_string(width) +
              "\" height=\"2400\" srcdoc=\"" + AttributeEscape(measured) + "\"></iframe>";
  std::string frames_page = dir.Write("frames.html", frames + "</body></html>");
  std::string measured_file = dir.path() + "/measured.html";
  cmd = browser + flags + " --dump-dom file://" + frames_page + " > " + measured_file + " 2> " + dir.path() + "/measured.log";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::string out = test::ReadFile(measured_file);
  for (const char* frame : {"w1200", "w390"}) {
    INFO("frame " << frame);
    std::string texts = BodyData(out, std::string(frame) + "-texts");
    REQUIRE(texts != "<missing>");       // the script ran
    CHECK(std::stoi(texts) >= 30);       // it measured the page: matrix scales, time scale, SLA weeks and scale
    CHECK(BodyData(out, std::string(frame) + "-clipped") == "");    // no label cut at an edge
    CHECK(BodyData(out, std::string(frame) + "-scrolling") == "");  // nothing to scroll sideways
    std::string width = std::string(frame).substr(1);
    CHECK(BodyData(out, std::string(frame) + "-width") == width + " of " + width);
  }
  // Durations over a day in days or hours: the slow week's 90th percentile.
  CHECK_THAT(html.out, Catch::Contains(">29.9 days<"));
  CHECK_FALSE(std::regex_search(html.out, std::regex("[0-9]{3,}(\\.[0-9]+)?( |&nbsp;)min")));  // no "1656 min"
}
