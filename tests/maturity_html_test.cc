// The HTML maturity brief, read as a person reads it: durations in units
// people use, SLA bars on a fixed 0-100 % scale, inputs by readable name,
// and contributions that add up to the axis score shown. (Rendering in
// headless Chromium is in maturity_command_test.cc.)
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "engine/metrics/maturity.h"
#include "engine/metrics/maturity_html.h"

using namespace triage;

namespace {

// The value of attribute `name` in the first tag of `html`
// that contains `marker`; fails the test naming what is missing.
std::string AttributeOf(const std::string& html, const std::string& marker, const std::string& name) {
  size_t at = html.find(marker);
  INFO("no tag with " << marker << " in the HTML");
  REQUIRE(at != std::string::npos);
  size_t open = html.rfind('<', at), close = html.find('>', at);
  std::string tag = html.substr(open, close - open);
  size_t a = tag.find(" " + name + "=\"");
  INFO("no attribute " << name << " in " << tag);
  REQUIRE(a != std::string::npos);
  a += name.size() + 3;
  return tag.substr(a, tag.find('"', a) - a);
}

// The text of the cells of the first table row that starts with `first`.
std::vector<std::string> RowCells(const std::string& html, const std::string& first) {
  size_t start = html.find("<td>" + first);
  INFO("no table row starting with " << first);
  REQUIRE(start != std::string::npos);
  size_t at = html.rfind("<tr", start);
  REQUIRE(html.find("<td>", at) == start);
  std::string row = html.substr(at, html.find("</tr>", at) - at);
  std::vector<std::string> cells;
  std::regex cell("<td>(.*?)</td>");
  for (std::sregex_iterator it(row.begin(), row.end(), cell), end; it != end; ++it) cells.push_back((*it)[1]);
  return cells;
}

GroupMetrics Sla(int64_t hit, int64_t missed) {
  GroupMetrics g;
  g.conversations = hit + missed;
  g.sla_hit = hit;
  g.sla_missed = missed;
  return g;
}

}  // namespace

TEST_CASE("Durations are printed in the unit people read, never thousands of minutes", "[maturity][html]") {
  CHECK(FormatDuration(8.5) == "8.5 s");
  CHECK(FormatDuration(45) == "45 s");
  CHECK(FormatDuration(6.5 * 60) == "6.5 min");
  CHECK(FormatDuration(14 * 60) == "14 min");
  CHECK(FormatDuration(59.7 * 60) == "1.0 h");  // not "60 min"
  CHECK(FormatDuration(3.2 * 3600) == "3.2 h");
  CHECK(FormatDuration(1656 * 60) == "27.6 h");  // the user's report: "1656 min"
  CHECK(FormatDuration(2449 * 60) == "40.8 h");  // under two days: hours say more than "1.7 days"
  CHECK(FormatDuration(3 * 86400) == "3.0 days");
  CHECK(FormatDuration(43045.8 * 60) == "29.9 days");  // the user's report: "43045.8 min"
  CHECK(FormatDuration(400 * 86400.0) == "400.0 days");
  CHECK(FormatDuration(NAN) == "n/a");
  CHECK(FormatDuration(-1) == "n/a");
  // Over a day: hours or days, whatever the duration.
  for (double s = 86400; s < 90 * 86400.0; s *= 1.07) {
    std::string text = FormatDuration(s);
    INFO(s << " s printed as " << text);
    CHECK((text.size() > 2 && (text.substr(text.size() - 2) == " h" || text.substr(text.size() - 5) == " days")));
  }
}

TEST_CASE("SLA bars lie on a fixed 0-100 % scale, not on their own maximum", "[maturity][html]") {
  // Every week under 50 %: scaled to their maximum, the 45 % bar would fill
  // the chart.
  MaturityReport r;
  r.metrics.by_week["2026-W44"] = Sla(9, 11);   // 45 %
  r.metrics.by_week["2026-W45"] = Sla(11, 14);  // 44 %
  r.metrics.by_week["2026-W46"] = Sla(0, 0);    // no conversation with a target: no bar
  std::string html = MaturityHtml(r);
  double full = std::stod(AttributeOf(html, "class=\"track\"", "width"));
  double bar45 = std::stod(AttributeOf(html, "data-value=\"45.0\"", "width"));
  double bar44 = std::stod(AttributeOf(html, "data-value=\"44.0\"", "width"));
  CHECK(bar45 / full == Approx(0.45).margin(0.002));
  CHECK(bar44 / full == Approx(0.44).margin(0.002));
  // Both start at the 0 % end of the track.
  CHECK(AttributeOf(html, "data-value=\"45.0\"", "x") == AttributeOf(html, "class=\"track\"", "x"));
  // The scale is drawn, with units, and the week without data says so.
  std::string sla = html.substr(html.find("<svg id=\"sla\""));
  sla = sla.substr(0, sla.find("</svg>"));
  for (const char* tick : {">0 %<", ">25 %<", ">50 %<", ">75 %<", ">100 %<"}) CHECK_THAT(sla, Catch::Contains(tick));
  CHECK_THAT(sla, Catch::Contains(">45.0 %<"));
  CHECK_THAT(sla, Catch::Contains("no SLA data"));
  CHECK(sla.find("data-value=\"0.0\"") == std::string::npos);
}

TEST_CASE("The brief names inputs in words while the JSON keeps the machine names", "[maturity][html]") {
  MetricsSummary m;
  m.all = Sla(40, 10);
  m.all.responded = 45;
  m.all.resolved = 40;
  m.all.resolved_in_channel = 36;
  m.channels_in_period = {"x", "instagram"};
  MaturityConfig c;
  c.budget = 70;
  c.dedicated_headcount = 3;
  c.executive_briefings_per_month = 2;
  MaturityReport r = AssessMaturity(m, c);
  REQUIRE(r.inputs.size() == 10);  // every input, the declared ones too
  std::string html = MaturityHtml(r), json = r.ToJson();
  for (const auto& in : r.inputs) {
    INFO(in.name);
    CHECK(html.find("<td>" + in.name) == std::string::npos);
    CHECK_THAT(json, Catch::Contains("\"name\":\"" + in.name + "\""));
    CHECK_THAT(html, Catch::Contains("<td>" + DisplayOfMaturityInput(in.name).label));
  }
  // No snake_case word anywhere on the page.
  std::smatch snake;
  bool found = std::regex_search(html, snake, std::regex("[A-Za-z]+_[A-Za-z_]+"));
  CHECK_FALSE(found);
  if (found) FAIL("snake_case in the HTML: " << snake.str());
  CHECK(DisplayOfMaturityInput("sla_attainment").label == "First response within SLA");
  CHECK(DisplayOfMaturityInput("some_new_input").label == "Some new input");  // a name added without a label
  // Values in their units: shares as percentages, hours as hours.
  CHECK(RowCells(html, "First response within SLA")[1] == "80 %");
  CHECK(RowCells(html, "Hours staffed per week")[2] == "84 h");  // the target
}

TEST_CASE("Contributions shown add up to the axis score, weights are shares of the axis", "[maturity][html]") {
  // The sample history's investment axis: three measured inputs of weight
  // 0.20 each (nothing declared), contributions 19.09 + 20.58 + 14.77 =
  // 54.44; rounded one by one they would read 19.1 + 20.6 + 14.8 = 54.5.
  MaturityReport r;
  auto add = [&](const char* name, double value, double target, double score) {
    MaturityInput in;
    in.axis = "investment";
    in.name = name;
    in.value = value;
    in.target = target;
    in.score = score;
    in.weight = 0.20;
    in.contribution = score / 3;
    r.inputs.push_back(in);
    r.overall.investment += in.contribution;
  };
  add("agents_per_day", 2.864, 5, 57.28);
  add("hours_covered", 51.864, 84, 61.743);
  add("sla_attainment", 0.443, 1, 44.31);
  std::string html = MaturityHtml(r);
  double sum = 0;
  for (const char* label : {"Agents active per day", "Hours staffed per week", "First response within SLA"}) {
    std::vector<std::string> cells = RowCells(html, label);
    REQUIRE(cells.size() == 6);  // input, value, target, score, weight, contribution
    CHECK(cells[4] == "33.3 %");  // 0.20 of 0.60: the share of the axis, not the configured 0.20
    sum += std::stod(cells[5]);
  }
  std::vector<std::string> total = RowCells(html, "Investment score");
  REQUIRE(total.size() == 6);
  CHECK(total[4] == "100 %");
  CHECK(total[5] == "54.4");
  CHECK(sum == Approx(54.4).margin(1e-9));
  CHECK_THAT(html, Catch::Contains("Investment&nbsp;<b>54.4</b>"));  // the summary shows the same score
  CHECK_THAT(html, Catch::Contains("Contribution = score \xc3\x97 weight, and an axis score is the sum of its contributions"));
}
