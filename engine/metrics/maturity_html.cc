#include "engine/metrics/maturity_html.h"

#include <algorithm>
#include <cstdio>

namespace triage {

namespace {

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string F(double v, int decimals = 1) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The matrix: investment on x, innovation on y, both 0-100, 400 px square.
std::string Matrix(const MaturityReport& r, double threshold) {
  const double size = 400, pad = 50;
  auto x = [&](double v) { return pad + v / 100 * size; };
  auto y = [&](double v) { return pad + size - v / 100 * size; };
  std::string s = "<svg id=\"matrix\" xmlns=\"http://www.w3.org/2000/svg\" width=\"500\" height=\"500\" "
                  "viewBox=\"0 0 500 500\" role=\"img\" aria-label=\"maturity matrix\">";
  struct Q {
    const char* name;
    double x0, y0;
    const char* fill;
  } qs[] = {{"Observers", 0, 0, "#f3f4f6"},
            {"Conservatives", threshold, 0, "#e0f2fe"},
            {"Contenders", 0, threshold, "#fef3c7"},
            {"#SocialFirst", threshold, threshold, "#dcfce7"}};
  for (const Q& q : qs) {
    double w = q.x0 == 0 ? threshold : 100 - threshold, h = q.y0 == 0 ? threshold : 100 - threshold;
    s += "<rect x=\"" + F(x(q.x0)) + "\" y=\"" + F(y(q.y0 + h)) + "\" width=\"" + F(w / 100 * size) +
         "\" height=\"" + F(h / 100 * size) + "\" fill=\"" + q.fill + "\" stroke=\"#9ca3af\"/>";
    s += "<text x=\"" + F(x(q.x0 + w / 2)) + "\" y=\"" + F(y(q.y0 + h) + 22) +
         "\" text-anchor=\"middle\" font-size=\"15\" fill=\"#374151\">" + Esc(q.name) + "</text>";
  }
  s += "<text x=\"" + F(pad + size / 2) + "\" y=\"490\" text-anchor=\"middle\" font-size=\"13\">investment &#8594;</text>";
  s += "<text x=\"16\" y=\"" + F(pad + size / 2) + "\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 " +
       F(pad + size / 2) + ")\">innovation &#8594;</text>";
  if (r.weekly.size() > 1) {
    std::string pts;
    for (const auto& w : r.weekly) pts += F(x(w.investment)) + "," + F(y(w.innovation)) + " ";
    s += "<polyline id=\"path\" points=\"" + pts + "\" fill=\"none\" stroke=\"#6b7280\" stroke-dasharray=\"4 3\"/>";
  }
  for (const auto& w : r.weekly)
    s += "<circle cx=\"" + F(x(w.investment)) + "\" cy=\"" + F(y(w.innovation)) + "\" r=\"4\" fill=\"#6b7280\"><title>" +
         Esc(w.period) + ": investment " + F(w.investment) + ", innovation " + F(w.innovation) + "</title></circle>";
  s += "<circle id=\"point\" cx=\"" + F(x(r.overall.investment)) + "\" cy=\"" + F(y(r.overall.innovation)) +
       "\" r=\"9\" fill=\"#2563eb\" stroke=\"white\" stroke-width=\"2\"><title>now: investment " +
       F(r.overall.investment) + ", innovation " + F(r.overall.innovation) + "</title></circle>";
  s += "</svg>";
  return s;
}

// A line or bar chart of one value per week.
std::string Chart(const char* id, const std::string& title, const std::vector<std::string>& weeks,
                  const std::vector<std::vector<double>>& series, const std::vector<std::string>& names,
                  const std::string& unit, bool bars) {
  const double w = 460, h = 200, left = 50, top = 30;
  double max = 1;
  for (const auto& sr : series)
    for (double v : sr) max = std::max(max, v);
  max *= 1.1;
  std::string s = std::string("<svg id=\"") + id +
                  "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"540\" height=\"270\" viewBox=\"0 0 540 270\">";
  s += "<text x=\"" + F(left) + "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" + Esc(title) + "</text>";
  s += "<line x1=\"" + F(left) + "\" y1=\"" + F(top + h) + "\" x2=\"" + F(left + w) + "\" y2=\"" + F(top + h) +
       "\" stroke=\"#9ca3af\"/>";
  s += "<text x=\"" + F(left - 6) + "\" y=\"" + F(top + 4) + "\" text-anchor=\"end\" font-size=\"11\">" + F(max, 0) +
       Esc(unit) + "</text>";
  const char* colors[] = {"#2563eb", "#f59e0b", "#10b981"};
  size_t n = weeks.size();
  double step = n ? w / static_cast<double>(n) : w;
  for (size_t k = 0; k < series.size(); ++k) {
    std::string pts;
    for (size_t i = 0; i < n; ++i) {
      double v = series[k][i], cx = left + step * (static_cast<double>(i) + 0.5), cy = top + h - v / max * h;
      if (bars) {
        s += "<rect x=\"" + F(cx - step * 0.3) + "\" y=\"" + F(cy) + "\" width=\"" + F(step * 0.6) + "\" height=\"" +
             F(top + h - cy) + "\" fill=\"" + colors[k % 3] + "\"><title>" + Esc(weeks[i]) + ": " + F(v) + Esc(unit) +
             "</title></rect>";
      } else {
        pts += F(cx) + "," + F(cy) + " ";
        s += "<circle cx=\"" + F(cx) + "\" cy=\"" + F(cy) + "\" r=\"3\" fill=\"" + colors[k % 3] + "\"><title>" +
             Esc(weeks[i]) + " " + Esc(names[k]) + ": " + F(v) + Esc(unit) + "</title></circle>";
      }
    }
    if (!bars && n > 1)
      s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + colors[k % 3] + "\" stroke-width=\"2\"/>";
    s += "<text x=\"" + F(left + w - 100 * static_cast<double>(series.size() - k)) + "\" y=\"18\" font-size=\"12\" fill=\"" +
         colors[k % 3] + "\">" + Esc(names[k]) + "</text>";
  }
  for (size_t i = 0; i < n; ++i)
    if (n <= 12 || i % (n / 12 + 1) == 0)
      s += "<text x=\"" + F(left + step * (static_cast<double>(i) + 0.5)) + "\" y=\"" + F(top + h + 16) +
           "\" text-anchor=\"middle\" font-size=\"10\">" + Esc(weeks[i].substr(5)) + "</text>";
  s += "</svg>";
  return s;
}

}  // namespace

std::string MaturityHtml(const MaturityReport& r, const std::string& title) {
  const MetricsSummary& m = r.metrics;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + Esc(title) +
                  "</title>\n<style>body{font-family:system-ui,sans-serif;margin:24px;color:#111827;max-width:1100px}"
                  "h1{font-size:22px;margin:0 0 4px}.sub{color:#6b7280;margin-bottom:16px}"
                  ".row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}"
                  ".big{font-size:34px;font-weight:bold}.card{border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px}"
                  "table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;border-bottom:1px solid #e5e7eb;"
                  "text-align:right}td:first-child,th:first-child,td:nth-child(2),th:nth-child(2){text-align:left}"
                  "</style></head>\n<body>\n";
  h += "<h1>" + Esc(title) + "</h1><div class=\"sub\">" + Esc(IsoDay(m.from_ms)) + " to " + Esc(IsoDay(m.to_ms)) + ", " +
       std::to_string(m.all.conversations) + " conversations</div>\n";
  h += "<div class=\"row\"><div>" + Matrix(r, 50) + "</div><div class=\"card\" id=\"summary\">";
  h += "<div>Quadrant</div><div class=\"big\" id=\"quadrant\">" + Esc(r.overall.quadrant) + "</div>";
  h += "<p>Investment <b>" + F(r.overall.investment) + "</b> / 100 &nbsp; Innovation <b>" + F(r.overall.innovation) +
       "</b> / 100</p><p style=\"max-width:420px\">" + Esc(r.recommendation) + "</p>";
  const GroupMetrics& a = m.all;
  h += "<p>First response p50 " + F(static_cast<double>(a.first_response.Percentile(0.5)) / 60000) + " min, p90 " +
       F(static_cast<double>(a.first_response.Percentile(0.9)) / 60000) + " min<br>SLA attainment " +
       F(a.SlaAttainment() * 100) + " %, response rate " + F(a.ResponseRate() * 100) +
       " %<br>In-channel resolution " + F(a.InChannelResolutionRate() * 100) + " %, channels in use " +
       std::to_string(m.channels_in_period.size()) + "</p></div></div>\n";

  h += "<h2 style=\"font-size:17px\">Inputs</h2><table id=\"inputs\"><tr><th>axis</th><th>input</th><th>value</th>"
       "<th>target</th><th>score</th><th>weight</th><th>contribution</th></tr>";
  for (const auto& in : r.inputs)
    h += "<tr><td>" + Esc(in.axis) + "</td><td>" + Esc(in.name) + (in.declared ? " (declared)" : "") + "</td><td>" +
         F(in.value, 3) + "</td><td>" + F(in.target) + "</td><td>" + F(in.score) + "</td><td>" + F(in.weight, 2) +
         "</td><td>" + F(in.contribution) + "</td></tr>";
  h += "</table>\n";

  std::vector<std::string> weeks;
  std::vector<double> p50, p90, sla;
  for (const auto& [week, g] : m.by_week) {
    weeks.push_back(week);
    p50.push_back(static_cast<double>(g.first_response.Percentile(0.5)) / 60000);
    p90.push_back(static_cast<double>(g.first_response.Percentile(0.9)) / 60000);
    sla.push_back(g.SlaAttainment() * 100);
  }
  h += "<div class=\"row\">" +
       Chart("frt", "First response time by week", weeks, {p50, p90}, {"p50", "p90"}, " min", false) +
       Chart("sla", "SLA attainment by week", weeks, {sla}, {"attained"}, " %", true) + "</div>\n";
  // Marks the page as rendered (a test checks it in headless Chromium).
  h += "<script>document.body.dataset.ready = document.querySelectorAll('svg').length === 3 && "
       "document.getElementById('point') ? 'yes' : 'no';</script>\n</body></html>\n";
  return h;
}

}  // namespace triage
