#include "engine/metrics/maturity_html.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

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

// Like F, without trailing zeros: scale ticks and weights read "25 %", "2.5 h".
std::string Num(double v, int decimals = 1) {
  std::string s = F(v, decimals);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// The font size of scale ticks and value labels in the charts: 12 px at the
// natural width stays about 10 px when a phone shrinks the chart.
constexpr double kSmall = 12;

// An upper estimate of the width of `s` in px at `font_size`, for reserving
// margins so labels stay inside their SVG. Per-character advances are
// rounded up from DejaVu Sans (Debian's default sans-serif, wider than most),
// so narrower fonts only leave more room.
double TextWidth(const std::string& s, double font_size) {
  double em = 0;
  for (char c : s) {
    if (c == 'm' || c == 'w' || c == 'M' || c == 'W' || c == '%' || c == '#') em += 1.0;
    else if (c == ' ' || c == '.' || c == ',' || c == ':' || c == 'i' || c == 'l' || c == 'j' || c == 'f' || c == 't')
      em += 0.4;
    else if (c >= 'A' && c <= 'Z') em += 0.8;
    else em += 0.65;
  }
  return em * font_size;
}

std::string Text(double x, double y, const char* anchor, double size, const std::string& text,
                 const std::string& extra = "") {
  return "<text x=\"" + F(x) + "\" y=\"" + F(y) + "\" text-anchor=\"" + anchor + "\" font-size=\"" + Num(size) +
         "\"" + extra + ">" + Esc(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* stroke, const std::string& extra = "") {
  return "<line x1=\"" + F(x1) + "\" y1=\"" + F(y1) + "\" x2=\"" + F(x2) + "\" y2=\"" + F(y2) + "\" stroke=\"" +
         stroke + "\"" + extra + "/>";
}

// The opening tag of a chart: drawn at its natural width, shrunk with the
// page on a narrow screen (CSS svg rule), never wider.
std::string SvgOpen(const char* id, double w, double h, const std::string& label) {
  return std::string("<svg id=\"") + id + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(w) + "\" height=\"" +
         Num(h) + "\" viewBox=\"0 0 " + Num(w) + " " + Num(h) + "\" role=\"img\" aria-label=\"" + Esc(label) + "\">";
}

// 1, 2, 2.5 or 5 times a power of ten, at least `raw`: scale steps people
// read at a glance.
double NiceStep(double raw) {
  if (!(raw > 0)) return 1;
  double p = std::pow(10, std::floor(std::log10(raw))), m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

// The matrix: investment on x, innovation on y, both scored 0-100, with a
// scale on each axis. The left margin holds the rotated axis title and the
// tick labels.
std::string Matrix(const MaturityReport& r, double threshold) {
  const double size = 340, left = 64, top = 14, right = 22, bottom = 54;
  const double width = left + size + right, height = top + size + bottom;
  auto x = [&](double v) { return left + v / 100 * size; };
  auto y = [&](double v) { return top + size - v / 100 * size; };
  std::string s = SvgOpen("matrix", width, height, "maturity matrix");
  struct Q {
    const char* name;
    double x0, y0;
    const char* fill;
  } qs[] = {{"Observers", 0, 0, "#f3f4f6"},
            {"Conservatives", threshold, 0, "#e0f2fe"},
            {"Contenders", 0, threshold, "#fef3c7"},
            {"#SocialFirst", threshold, threshold, "#dcfce7"}};
  std::string names;  // drawn after the points, with a halo, so a point never hides one
  for (const Q& q : qs) {
    double w = q.x0 == 0 ? threshold : 100 - threshold, h = q.y0 == 0 ? threshold : 100 - threshold;
    s += "<rect x=\"" + F(x(q.x0)) + "\" y=\"" + F(y(q.y0 + h)) + "\" width=\"" + F(w / 100 * size) +
         "\" height=\"" + F(h / 100 * size) + "\" fill=\"" + q.fill + "\" stroke=\"#9ca3af\"/>";
    names += Text(x(q.x0 + w / 2), y(q.y0 + h) + 22, "middle", 15, q.name,
                  " fill=\"#374151\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"");
  }
  // Scales: score 0-100 on both axes, a tick every 25.
  for (int v = 0; v <= 100; v += 25) {
    s += Line(x(v), y(0), x(v), y(0) + 5, "#6b7280");
    s += Text(x(v), y(0) + 18, "middle", kSmall, std::to_string(v), " fill=\"#374151\"");
    s += Line(x(0) - 5, y(v), x(0), y(v), "#6b7280");
    s += Text(x(0) - 8, y(v) + 4, "end", kSmall, std::to_string(v), " fill=\"#374151\"");
  }
  s += Text(x(50), height - 8, "middle", 13, "Investment score (0\xe2\x80\x93" "100) \xe2\x86\x92");
  const double ty = y(50);
  s += Text(18, ty, "middle", 13, "Innovation score (0\xe2\x80\x93" "100) \xe2\x86\x92",
            " transform=\"rotate(-90 18 " + F(ty) + ")\"");
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
  s += names + "</svg>";
  return s;
}

const char* kP50Color = "#2563eb";
const char* kP90Color = "#f59e0b";
// Up to this many weeks, the response time chart prints every value (more
// would overlap; the points keep them as tooltips).
constexpr size_t kLabelledWeeks = 6;

// The unit a time scale is drawn in: the largest in which the top of the
// scale is at least 2, so ticks read "12 h", not "720 min".
struct TimeUnit {
  double seconds;
  const char* suffix;
};
TimeUnit UnitFor(double max_seconds) {
  if (max_seconds >= 2 * 86400.0) return {86400, "days"};
  if (max_seconds >= 2 * 3600.0) return {3600, "h"};
  if (max_seconds >= 120) return {60, "min"};
  return {1, "s"};
}

// First response time per week, median and 90th percentile (seconds; NaN:
// no response that week, left as a gap), on a time scale with units.
std::string ResponseTimeChart(const std::vector<std::string>& weeks, const std::vector<double>& p50,
                              const std::vector<double>& p90) {
  // The top margin leaves room for two stacked value labels over a point at
  // the top of the scale.
  const double width = 440, top = 40, plot_h = 180, right = 16, bottom = 46;
  const double height = top + plot_h + bottom;
  double max = 60;
  for (const auto* series : {&p50, &p90})
    for (double v : *series)
      if (std::isfinite(v)) max = std::max(max, v);
  TimeUnit unit = UnitFor(max);
  double step = NiceStep(max / unit.seconds / 4);
  int ticks = std::max(1, static_cast<int>(std::ceil(max / unit.seconds / step - 1e-9)));
  double scale_top = ticks * step * unit.seconds;  // seconds at the top of the plot
  std::vector<std::string> labels;
  double left = 36;
  for (int k = 0; k <= ticks; ++k) {
    labels.push_back(k == 0 ? "0" : Num(k * step, 2) + " " + unit.suffix);
    left = std::max(left, TextWidth(labels.back(), kSmall) + 12);
  }
  const double plot_w = width - left - right;
  auto y = [&](double seconds) { return top + plot_h - seconds / scale_top * plot_h; };
  std::string s = SvgOpen("frt", width, height, "first response time by week");
  for (int k = 0; k <= ticks; ++k) {
    double ty = y(k * step * unit.seconds);
    s += Line(left, ty, left + plot_w, ty, k ? "#e5e7eb" : "#6b7280");
    s += Text(left - 8, ty + 4, "end", kSmall, labels[static_cast<size_t>(k)], " fill=\"#374151\" class=\"tick\"");
  }
  size_t n = weeks.size();
  double xstep = n ? plot_w / static_cast<double>(n) : plot_w;
  auto x = [&](size_t i) { return left + xstep * (static_cast<double>(i) + 0.5); };
  struct Series {
    const std::vector<double>* values;
    const char* name;
    const char* color;
  } series[] = {{&p50, "median", kP50Color}, {&p90, "90th percentile", kP90Color}};
  for (const Series& sr : series) {
    // One polyline per run of weeks with data: a week without a response
    // is a gap, not a zero.
    std::string pts;
    int run = 0;
    auto flush = [&] {
      if (run > 1)
        s += "<polyline points=\"" + pts + "\" fill=\"none\" stroke=\"" + sr.color + "\" stroke-width=\"2\"/>";
      pts.clear();
      run = 0;
    };
    for (size_t i = 0; i < n; ++i) {
      double v = (*sr.values)[i];
      if (!std::isfinite(v)) {
        flush();
        continue;
      }
      pts += F(x(i)) + "," + F(y(v)) + " ";
      ++run;
    }
    flush();
    for (size_t i = 0; i < n; ++i) {
      double v = (*sr.values)[i];
      if (std::isfinite(v))
        s += "<circle cx=\"" + F(x(i)) + "\" cy=\"" + F(y(v)) + "\" r=\"3.5\" fill=\"" + sr.color + "\"><title>" +
             Esc(weeks[i]) + " " + sr.name + ": " + Esc(FormatDuration(v)) + "</title></circle>";
    }
  }
  // With few weeks each point is labelled with its value: the 90th
  // percentile above its point, the median above its own unless the two
  // are too close, then stacked just under the 90th percentile's label; one
  // label when both read the same. Drawn last, with a halo, over the lines.
  std::string values;
  if (n <= kLabelledWeeks)
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(p50[i]) || !std::isfinite(p90[i])) continue;  // both or neither: the same responses
      double ya = y(p50[i]), yb = y(p90[i]);
      std::string a = FormatDuration(p50[i]), b = FormatDuration(p90[i]);
      const char* halo = " stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\"";
      if (a == b) {  // one label for both, in neutral ink
        values += Text(x(i), yb - 8, "middle", kSmall, b, std::string(" fill=\"#374151\"") + halo);
        continue;
      }
      bool close = ya - yb < 20;
      values += Text(x(i), yb - (close ? 24 : 8), "middle", kSmall, b, std::string(" fill=\"#b45309\"") + halo);
      values += Text(x(i), close ? yb - 8 : ya - 8, "middle", kSmall, a, std::string(" fill=\"#1d4ed8\"") + halo);
    }
  s += values;
  for (size_t i = 0; i < n; ++i)
    if (n <= 10 || i % (n / 10 + 1) == 0)
      s += Text(x(i), top + plot_h + 16, "middle", kSmall, weeks[i].size() > 5 ? weeks[i].substr(5) : weeks[i],
                " fill=\"#374151\"");
  s += Text(left + plot_w / 2, height - 8, "middle", 12, "ISO week", " fill=\"#4b5563\"");
  s += "</svg>";
  return s;
}

// SLA attainment per week (percent; NaN: no conversation with a target), as
// horizontal bars on a fixed 0-100 % scale: each bar lies on a grey track
// that is the whole scale, so 45 % fills 45 % of it.
std::string SlaChart(const std::vector<std::string>& weeks, const std::vector<double>& sla) {
  const double width = 440, top = 8, row = 26, bar = 16, bottom = 46;
  const size_t n = weeks.size();
  const double plot_h = row * static_cast<double>(std::max<size_t>(n, 1));
  const double height = top + plot_h + bottom;
  double left = 40;
  for (const auto& w : weeks) left = std::max(left, TextWidth(w, kSmall) + 14);
  const double right = TextWidth("100.0 %", kSmall) + 12;
  const double plot_w = width - left - right;
  auto x = [&](double pct) { return left + pct / 100 * plot_w; };
  std::string s = SvgOpen("sla", width, height, "SLA attainment by week");
  for (size_t i = 0; i < n; ++i) {
    double by = top + row * static_cast<double>(i) + (row - bar) / 2;
    s += Text(left - 8, by + bar / 2 + 4, "end", kSmall, weeks[i], " fill=\"#374151\"");
    s += "<rect class=\"track\" x=\"" + F(left) + "\" y=\"" + F(by) + "\" width=\"" + F(plot_w) + "\" height=\"" +
         F(bar) + "\" fill=\"#eef2f7\"/>";
  }
  // The scale: a line every 25 %, over the tracks and under the bars.
  for (int v = 0; v <= 100; v += 25) {
    s += Line(x(v), top, x(v), top + plot_h + 4, v == 0 || v == 100 ? "#6b7280" : "#cbd5e1");
    s += Text(x(v), top + plot_h + 17, "middle", kSmall, std::to_string(v) + " %", " fill=\"#374151\" class=\"tick\"");
  }
  for (size_t i = 0; i < n; ++i) {
    double by = top + row * static_cast<double>(i) + (row - bar) / 2;
    if (!std::isfinite(sla[i])) {
      s += Text(x(0) + 6, by + bar / 2 + 4, "start", kSmall, "no SLA data", " fill=\"#6b7280\"");
      continue;
    }
    double v = std::clamp(sla[i], 0.0, 100.0);
    s += "<rect class=\"bar\" data-value=\"" + F(v) + "\" x=\"" + F(left) + "\" y=\"" + F(by) + "\" width=\"" +
         F(v / 100 * plot_w) + "\" height=\"" + F(bar) + "\" fill=\"" + kP50Color + "\"><title>" + Esc(weeks[i]) +
         ": " + F(v) + " %</title></rect>";
    s += Text(x(100) + 6, by + bar / 2 + 4, "start", kSmall, F(v) + " %", " fill=\"#111827\"");
  }
  if (n == 0) s += Text(x(50), top + row / 2 + 4, "middle", kSmall, "no weeks in the period", " fill=\"#6b7280\"");
  s += Text(x(50), height - 8, "middle", 12, "SLA attainment (0\xe2\x80\x93" "100 %)", " fill=\"#4b5563\"");
  s += "</svg>";
  return s;
}

// An input's value (or target) in its unit: shares as percentages, counts
// plain, other units after the number.
std::string ValueText(double v, const MaturityInputDisplay& d) {
  if (d.unit == "%") return Num(v * 100) + " %";
  return Num(v) + (d.unit.empty() ? "" : " " + d.unit);
}

// Rounds `parts` to tenths so that the rounded parts add up to `total`
// rounded to tenths (largest remainder): the contributions shown then sum
// to the axis score shown, to the last digit.
std::vector<int64_t> TenthsSummingTo(const std::vector<double>& parts, double total) {
  std::vector<int64_t> out;
  std::vector<std::pair<double, size_t>> rest;  // (remainder, index)
  int64_t sum = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    double t = parts[i] * 10;
    out.push_back(static_cast<int64_t>(std::floor(t)));
    sum += out.back();
    rest.push_back({t - std::floor(t), i});
  }
  std::stable_sort(rest.begin(), rest.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  int64_t missing = std::llround(total * 10) - sum;
  for (size_t k = 0; missing > 0 && !rest.empty(); ++k, --missing) ++out[rest[k % rest.size()].second];
  for (size_t k = rest.size(); missing < 0 && k > 0; --k, ++missing) --out[rest[k - 1].second];
  return out;
}

// Escaped, with its spaces non-breaking: "23.6 h" never splits over two lines.
std::string Nb(const std::string& s) {
  std::string o;
  for (char c : Esc(s)) o += c == ' ' ? std::string("&nbsp;") : std::string(1, c);
  return o;
}

// A rate as a percentage, or "n/a" when nothing was there to count (no
// conversation resolved is not "0.0 % resolved in the channel").
std::string Share(bool measured, double share) { return measured ? F(share * 100) + "&nbsp;%" : "n/a"; }

// An axis score as shown everywhere on the page (tenths, rounded once).
std::string AxisText(double score) { return F(static_cast<double>(std::llround(score * 10)) / 10); }

// The inputs table: per axis, every input with its value, target, score,
// its weight as a share of the axis and its contribution, then the axis
// total, so score x weight = contribution and the contributions add up.
std::string InputsTable(const MaturityReport& r) {
  std::string h = "<div class=\"scroll\"><table id=\"inputs\"><thead><tr><th>Input</th><th>Value</th><th>Target</th>"
                  "<th>Score<br><small>0\xe2\x80\x93" "100</small></th><th>\xc3\x97 Weight</th>"
                  "<th>= Contri&shy;bution</th></tr></thead>";  // may hyphenate on a phone
  for (const char* axis : {"innovation", "investment"}) {
    std::vector<const MaturityInput*> rows;
    double total_weight = 0;
    for (const auto& in : r.inputs)
      if (in.axis == axis) {
        rows.push_back(&in);
        total_weight += in.weight;
      }
    if (rows.empty()) continue;
    double score = std::string(axis) == "investment" ? r.overall.investment : r.overall.innovation;
    std::vector<double> parts;
    for (const auto* in : rows) parts.push_back(in->contribution);
    std::vector<int64_t> tenths = TenthsSummingTo(parts, score);
    std::string name = std::string(axis) == "investment" ? "Investment" : "Innovation";
    h += "<tbody><tr class=\"axis\"><th colspan=\"6\">" + name + "</th></tr>";
    for (size_t i = 0; i < rows.size(); ++i) {
      const MaturityInput& in = *rows[i];
      MaturityInputDisplay d = DisplayOfMaturityInput(in.name);
      h += "<tr><td>" + Esc(d.label) + (in.declared ? " <small>(declared)</small>" : "") + "</td><td>" +
           Esc(ValueText(in.value, d)) + "</td><td>" + Esc(ValueText(in.target, d)) + "</td><td>" + F(in.score) +
           "</td><td>" + Num(total_weight > 0 ? in.weight / total_weight * 100 : 0) + " %</td><td>" +
           F(static_cast<double>(tenths[i]) / 10) + "</td></tr>";
    }
    h += "<tr class=\"total\"><td>" + name + " score</td><td></td><td></td><td></td><td>100 %</td><td>" +
         AxisText(score) + "</td></tr></tbody>";
  }
  h += "</table></div>\n";
  h += "<p class=\"note\">Score = value \xc3\xb7 target, capped at 100 (the self-rated budget counts as given). "
       "Contribution = score \xc3\x97 weight, and an axis score is the sum of its contributions. A weight is the "
       "input's share of its axis: the configured weights rescaled to add up to 100 % over the inputs that have "
       "data (an input not measured or not declared is left out). Contributions are rounded so that they add up "
       "to the score shown.</p>\n";
  return h;
}

}  // namespace

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0)) return "n/a";
  char buf[32];
  // Each unit serves until its number, rounded as printed, would reach the
  // next unit: 59.6 min prints "1.0 h", not "60 min". Hours run to two days
  // ("36.0 h" says more than "1.5 days"), as on the charts' time scale.
  if (seconds < 9.95) std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  else if (seconds < 59.5) std::snprintf(buf, sizeof buf, "%.0f s", seconds);
  else if (seconds < 9.95 * 60) std::snprintf(buf, sizeof buf, "%.1f min", seconds / 60);
  else if (seconds < 59.5 * 60) std::snprintf(buf, sizeof buf, "%.0f min", seconds / 60);
  else if (seconds < 47.95 * 3600) std::snprintf(buf, sizeof buf, "%.1f h", seconds / 3600);
  else std::snprintf(buf, sizeof buf, "%.1f days", seconds / 86400);
  return buf;
}

std::string MaturityHtml(const MaturityReport& r, const std::string& title) {
  const MetricsSummary& m = r.metrics;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" + Esc(title) +
                  "</title>\n<style>body{font-family:system-ui,sans-serif;margin:24px auto;padding:0 24px;"
                  "color:#111827;max-width:1100px;line-height:1.4}"
                  "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:36px 0 10px}h3{font-size:15px;margin:0}"
                  ".sub{color:#6b7280;margin-bottom:16px}"
                  ".row{display:flex;flex-wrap:wrap;gap:28px 40px;align-items:flex-start}"
                  "figure{margin:0;flex:0 1 440px;min-width:0}"
                  "svg{display:block;max-width:100%;height:auto}"
                  ".legend{font-size:13px;color:#374151;margin:2px 0 6px}"
                  ".legend i{display:inline-block;width:12px;height:12px;border-radius:6px;margin:0 4px 0 10px;"
                  "vertical-align:-1px}.legend i:first-child{margin-left:0}"
                  ".big{font-size:34px;font-weight:bold}"
                  ".card{border:1px solid #e5e7eb;border-radius:8px;padding:12px 16px;flex:0 1 420px}"
                  ".note{color:#4b5563;font-size:13px;max-width:760px;margin:10px 0 0}"
                  ".scroll{overflow-x:auto}"
                  "table{border-collapse:collapse;font-size:13px}"
                  "td,th{padding:4px 8px;border-bottom:1px solid #e5e7eb;text-align:right;vertical-align:bottom}"
                  "td:first-child,th:first-child{text-align:left}td{white-space:nowrap}td:first-child{white-space:normal}"
                  "tr.axis th{text-align:left;font-size:14px;padding-top:14px;background:#f9fafb}"
                  "tr.total td{font-weight:bold;border-top:2px solid #9ca3af}"
                  "@media (max-width:600px){body{margin:12px auto;padding:0 12px}table{font-size:12px}"
                  "td,th{padding:3px 4px}.big{font-size:28px}}"
                  "</style></head>\n<body>\n";
  h += "<h1>" + Esc(title) + "</h1><div class=\"sub\">" + Esc(IsoDay(m.from_ms)) + " to " + Esc(IsoDay(m.to_ms)) + ", " +
       std::to_string(m.all.conversations) + " conversations</div>\n";
  h += "<div class=\"row\"><div>" + Matrix(r, 50) + "</div><div class=\"card\" id=\"summary\">";
  h += "<div>Quadrant</div><div class=\"big\" id=\"quadrant\">" + Esc(r.overall.quadrant) + "</div>";
  h += "<p>Investment&nbsp;<b>" + AxisText(r.overall.investment) + "</b>&nbsp;/&nbsp;100 &nbsp; Innovation&nbsp;<b>" +
       AxisText(r.overall.innovation) + "</b>&nbsp;/&nbsp;100</p><p>" + Esc(r.recommendation) + "</p>";
  const GroupMetrics& a = m.all;
  auto seconds = [](int64_t ms) { return static_cast<double>(ms) / 1000; };
  h += "<p>First response: half within <b>" +
       Nb(a.first_response.count() ? FormatDuration(seconds(a.first_response.Percentile(0.5))) : "n/a") +
       "</b>, 90&nbsp;% within <b>" +
       Nb(a.first_response.count() ? FormatDuration(seconds(a.first_response.Percentile(0.9))) : "n/a") +
       "</b><br>SLA attainment " + Share(a.sla_hit + a.sla_missed > 0, a.SlaAttainment()) + ", response rate " +
       Share(a.conversations > 0, a.ResponseRate()) + "<br>In-channel resolution " +
       Share(a.resolved > 0, a.InChannelResolutionRate()) + ", channels in use " +
       std::to_string(m.channels_in_period.size()) + "</p></div></div>\n";

  h += "<h2>Inputs</h2>\n" + InputsTable(r);

  std::vector<std::string> weeks;
  std::vector<double> p50, p90, sla;
  for (const auto& [week, g] : m.by_week) {
    weeks.push_back(week);
    bool answered = g.first_response.count() > 0;
    p50.push_back(answered ? seconds(g.first_response.Percentile(0.5)) : NAN);
    p90.push_back(answered ? seconds(g.first_response.Percentile(0.9)) : NAN);
    sla.push_back(g.sla_hit + g.sla_missed ? g.SlaAttainment() * 100 : NAN);
  }
  h += "<h2>By week</h2>\n<div class=\"row\"><figure><h3>First response time</h3><div class=\"legend\"><i style=\""
       "background:" + std::string(kP50Color) + "\"></i>median <i style=\"background:" + kP90Color +
       "\"></i>90th percentile</div>" + ResponseTimeChart(weeks, p50, p90) +
       "</figure><figure><h3>SLA attainment</h3><div class=\"legend\">share of conversations answered within their "
       "queue's target</div>" + SlaChart(weeks, sla) + "</figure></div>\n";
  // Marks the page as rendered (a test checks it in headless Chromium).
  h += "<script>document.body.dataset.ready = document.querySelectorAll('svg').length === 3 && "
       "document.getElementById('point') ? 'yes' : 'no';</script>\n</body></html>\n";
  return h;
}

}  // namespace triage
