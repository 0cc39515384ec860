#include "engine/metrics/maturity.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <cstdio>

#include "base/json_writer.h"

namespace triage {

namespace {

constexpr int64_t kDayMs = 86'400'000;

// What one period measured, as the axes need it. NaN: no data (left out).
struct Measured {
  double in_channel_resolution = NAN, channels_in_use = 0, new_channels = 0, response_rate = NAN;
  double agents_per_day = 0, hours_per_week = 0, sla_attainment = NAN;
};

double Round1(double x) { return std::round(x * 10) / 10; }

struct Axis {
  std::vector<MaturityInput> inputs;
  void Add(const char* axis, const char* name, double value, double target, double weight, bool declared = false,
           bool score_is_value = false) {
    if (std::isnan(value) || value < 0 || weight <= 0) return;  // no data or not declared: left out
    MaturityInput in;
    in.axis = axis;
    in.name = name;
    in.value = value;
    in.target = target;
    in.weight = weight;
    in.declared = declared;
    in.score = score_is_value ? std::clamp(value, 0.0, 100.0) : std::min(value / target, 1.0) * 100;
    inputs.push_back(in);
  }
  double Finish() {
    double w = 0, sum = 0;
    for (const auto& in : inputs) w += in.weight;
    for (auto& in : inputs) {
      in.contribution = w > 0 ? in.score * in.weight / w : 0;
      sum += in.contribution;
    }
    return sum;
  }
};

void Score(const Measured& m, const MaturityConfig& c, double* investment, double* innovation,
           std::vector<MaturityInput>* inputs) {
  Axis inn, inv;
  inn.Add("innovation", "in_channel_resolution", m.in_channel_resolution, 1, c.w_in_channel_resolution);
  inn.Add("innovation", "channels_in_use", m.channels_in_use, c.target_channels, c.w_channels_in_use);
  inn.Add("innovation", "new_channels", m.new_channels, c.target_new_channels, c.w_new_channels);
  inn.Add("innovation", "response_rate", m.response_rate, 1, c.w_response_rate);
  inv.Add("investment", "agents_per_day", m.agents_per_day, c.target_agents_per_day, c.w_agents_per_day);
  inv.Add("investment", "hours_covered", m.hours_per_week, c.target_hours_per_week, c.w_hours_covered);
  inv.Add("investment", "sla_attainment", m.sla_attainment, 1, c.w_sla_attainment);
  inv.Add("investment", "budget", c.budget, 100, c.w_budget, true, true);
  inv.Add("investment", "dedicated_headcount", c.dedicated_headcount, c.target_headcount, c.w_dedicated_headcount, true);
  inv.Add("investment", "executive_briefings", c.executive_briefings_per_month, c.target_briefings,
          c.w_executive_briefings, true);
  *innovation = inn.Finish();
  *investment = inv.Finish();
  if (inputs) {
    *inputs = inn.inputs;
    inputs->insert(inputs->end(), inv.inputs.begin(), inv.inputs.end());
  }
}

Measured FromGroup(const GroupMetrics& g, size_t channels, size_t new_channels, double agents_per_day,
                   double hours_per_week) {
  Measured m;
  if (g.resolved) m.in_channel_resolution = g.InChannelResolutionRate();
  if (g.conversations) m.response_rate = g.ResponseRate();
  if (g.sla_hit + g.sla_missed) m.sla_attainment = g.SlaAttainment();
  m.channels_in_use = static_cast<double>(channels);
  m.new_channels = static_cast<double>(new_channels);
  m.agents_per_day = agents_per_day;
  m.hours_per_week = hours_per_week;
  return m;
}

void AppendPoint(const MaturityPoint& p, std::string* o) {
  *o += "{\"period\":";
  AppendJsonString(p.period, o);
  *o += ",\"investment\":";
  AppendJsonNumber(Round1(p.investment), o);
  *o += ",\"innovation\":";
  AppendJsonNumber(Round1(p.innovation), o);
  *o += ",\"quadrant\":";
  AppendJsonString(p.quadrant, o);
  *o += "}";
}

}  // namespace

MaturityInputDisplay DisplayOfMaturityInput(const std::string& name) {
  // One row per input Score() adds, in the same order; the labels say what
  // is measured, as the README's table does.
  static const struct {
    const char* name;
    const char* label;
    const char* unit;
  } kInputs[] = {
      {"in_channel_resolution", "Resolved in the channel", "%"},
      {"channels_in_use", "Channels in use", ""},
      {"new_channels", "New channels adopted", ""},
      {"response_rate", "Conversations answered", "%"},
      {"agents_per_day", "Agents active per day", ""},
      {"hours_covered", "Hours staffed per week", "h"},
      {"sla_attainment", "First response within SLA", "%"},
      {"budget", "Budget (self-rated, 0\xe2\x80\x93" "100)", ""},
      {"dedicated_headcount", "Dedicated social-care staff", ""},
      {"executive_briefings", "Executive briefings per month", ""},
  };
  for (const auto& in : kInputs)
    if (name == in.name) return {in.label, in.unit};
  std::string words = name;
  std::replace(words.begin(), words.end(), '_', ' ');
  if (!words.empty() && words[0] >= 'a' && words[0] <= 'z') words[0] = static_cast<char>(words[0] - 'a' + 'A');
  return {words, ""};
}

std::string QuadrantOf(double investment, double innovation, double threshold) {
  bool inv = investment >= threshold, inn = innovation >= threshold;
  if (inv && inn) return "#SocialFirst";
  if (inv) return "Conservatives";
  if (inn) return "Contenders";
  return "Observers";
}

std::string RecommendationFor(const std::string& q) {
  if (q == "Observers")
    return "Start now: be present and answer on every channel your customers already use, and staff it.";
  if (q == "Conservatives")
    return "You invest but stay traditional: train agents for social, and take conversations to private "
           "messaging to resolve them in the channel.";
  if (q == "Contenders")
    return "You innovate without full backing: committing people, hours and budget is what turns it into "
           "results the business sees.";
  return "Stay ahead: adopt new channels early, connect social care with the other departments, and serve "
         "proactively.";
}

MaturityReport AssessMaturity(const MetricsSummary& metrics, const MaturityConfig& config) {
  MaturityReport r;
  r.metrics = metrics;
  auto new_channels_before = [&](int64_t end_ms) {
    size_t n = 0;
    for (const auto& [ch, first] : metrics.channel_first_seen)
      if (first < end_ms && first >= end_ms - config.new_channel_days * kDayMs) ++n;
    return n;
  };
  Measured all = FromGroup(metrics.all, metrics.channels_in_period.size(), new_channels_before(metrics.to_ms),
                           metrics.AgentsPerDay(), metrics.HoursCoveredPerWeek());
  r.overall.period = "all";
  Score(all, config, &r.overall.investment, &r.overall.innovation, &r.inputs);
  r.overall.quadrant = QuadrantOf(r.overall.investment, r.overall.innovation, config.threshold);
  r.recommendation = RecommendationFor(r.overall.quadrant);
  for (const auto& [week, g] : metrics.by_week) {
    auto act = metrics.activity_by_week.find(week);
    double agents = act == metrics.activity_by_week.end() ? 0 : static_cast<double>(act->second.agent_days.size()) / 7;
    double hours = act == metrics.activity_by_week.end() ? 0 : static_cast<double>(act->second.hours.size());
    auto ch = metrics.channels_by_week.find(week);
    size_t channels = ch == metrics.channels_by_week.end() ? 0 : ch->second.size();
    // New channels as of that week's last conversation: first seen in the
    // `new_channel_days` before it.
    auto end = metrics.week_end_ms.find(week);
    int64_t week_end = end == metrics.week_end_ms.end() ? metrics.to_ms : end->second;
    MaturityPoint p;
    p.period = week;
    Measured m = FromGroup(g, channels, new_channels_before(week_end), agents, hours);
    Score(m, config, &p.investment, &p.innovation, nullptr);
    p.quadrant = QuadrantOf(p.investment, p.innovation, config.threshold);
    r.weekly.push_back(p);
  }
  return r;
}

std::string MaturityReport::ToJson() const {
  std::string o = "{\"investment\":";
  AppendJsonNumber(Round1(overall.investment), &o);
  o += ",\"innovation\":";
  AppendJsonNumber(Round1(overall.innovation), &o);
  o += ",\"quadrant\":";
  AppendJsonString(overall.quadrant, &o);
  o += ",\"recommendation\":";
  AppendJsonString(recommendation, &o);
  o += ",\"inputs\":[";
  for (size_t i = 0; i < inputs.size(); ++i) {
    const MaturityInput& in = inputs[i];
    if (i) o += ",";
    o += "{\"axis\":";
    AppendJsonString(in.axis, &o);
    o += ",\"name\":";
    AppendJsonString(in.name, &o);
    o += ",\"value\":";
    AppendJsonNumber(std::round(in.value * 1000) / 1000, &o);
    o += ",\"target\":";
    AppendJsonNumber(in.target, &o);
    o += ",\"score\":";
    AppendJsonNumber(Round1(in.score), &o);
    o += ",\"weight\":";
    AppendJsonNumber(in.weight, &o);
    o += ",\"contribution\":";
    AppendJsonNumber(Round1(in.contribution), &o);
    o += ",\"declared\":";
    o += in.declared ? "true" : "false";
    o += "}";
  }
  o += "],\"weekly\":[";
  for (size_t i = 0; i < weekly.size(); ++i) {
    if (i) o += ",";
    AppendPoint(weekly[i], &o);
  }
  o += "],\"metrics\":";
  o += metrics.ToJson();
  o += "}";
  return o;
}

std::string MaturityReport::ToText() const {
  std::string o;
  char line[256];
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    o += line;
  };
  add("Social Maturity Index, %s to %s\n\n", IsoDay(metrics.from_ms).c_str(), IsoDay(metrics.to_ms).c_str());
  add("  investment %.1f / 100, innovation %.1f / 100: %s\n  %s\n\n", overall.investment, overall.innovation,
      overall.quadrant.c_str(), recommendation.c_str());
  add("  %-10s  %-22s  %10s  %8s  %6s  %6s  %12s\n", "axis", "input", "value", "target", "score", "weight",
      "contribution");
  for (const auto& in : inputs)
    add("  %-10s  %-22s  %10.3f  %8.1f  %6.1f  %6.2f  %12.1f%s\n", in.axis.c_str(), in.name.c_str(), in.value, in.target,
        in.score, in.weight, in.contribution, in.declared ? "  (declared)" : "");
  const GroupMetrics& a = metrics.all;
  add("\n  conversations %lld, responded %lld, resolved %lld (%.1f %% in channel)\n",
      static_cast<long long>(a.conversations), static_cast<long long>(a.responded), static_cast<long long>(a.resolved),
      a.InChannelResolutionRate() * 100);
  add("  first response p50 %.1f min, p90 %.1f min, p99 %.1f min; SLA attainment %.1f %%\n",
      static_cast<double>(a.first_response.Percentile(0.5)) / 60000.0,
      static_cast<double>(a.first_response.Percentile(0.9)) / 60000.0,
      static_cast<double>(a.first_response.Percentile(0.99)) / 60000.0, a.SlaAttainment() * 100);
  if (!weekly.empty()) {
    add("\n  %-10s  %10s  %10s  %s\n", "week", "investment", "innovation", "quadrant");
    for (const auto& w : weekly)
      add("  %-10s  %10.1f  %10.1f  %s\n", w.period.c_str(), w.investment, w.innovation, w.quadrant.c_str());
  }
  return o;
}

Status MaturityConfig::LoadFile(const std::string& path, MaturityConfig* out) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::NotFound(path + ": cannot read the file");
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  if (!root || !root.IsMap() || !root["maturity"]) return Status::OK();
  YAML::Node m = root["maturity"];
  if (!m.IsMap()) return Status::InvalidArgument(path + ":" + std::to_string(m.Mark().line + 1) + ": 'maturity' must be a mapping");
  struct Field {
    const char* name;
    double* value;
  };
  const Field fields[] = {
      {"threshold", &out->threshold},
      {"w_in_channel_resolution", &out->w_in_channel_resolution},
      {"w_channels_in_use", &out->w_channels_in_use},
      {"w_new_channels", &out->w_new_channels},
      {"w_response_rate", &out->w_response_rate},
      {"target_channels", &out->target_channels},
      {"target_new_channels", &out->target_new_channels},
      {"w_agents_per_day", &out->w_agents_per_day},
      {"w_hours_covered", &out->w_hours_covered},
      {"w_sla_attainment", &out->w_sla_attainment},
      {"w_budget", &out->w_budget},
      {"w_dedicated_headcount", &out->w_dedicated_headcount},
      {"w_executive_briefings", &out->w_executive_briefings},
      {"target_agents_per_day", &out->target_agents_per_day},
      {"target_hours_per_week", &out->target_hours_per_week},
      {"target_headcount", &out->target_headcount},
      {"target_briefings", &out->target_briefings},
      {"budget", &out->budget},
      {"dedicated_headcount", &out->dedicated_headcount},
      {"executive_briefings_per_month", &out->executive_briefings_per_month},
  };
  for (auto it = m.begin(); it != m.end(); ++it) {
    std::string key = it->first.Scalar();
    std::string where = path + ":" + std::to_string(it->first.Mark().line + 1) + ": maturity." + key + ": ";
    if (key == "new_channel_days") {
      try {
        out->new_channel_days = it->second.as<int>();
      } catch (const YAML::Exception&) {
        return Status::InvalidArgument(where + "must be a whole number of days");
      }
      if (out->new_channel_days < 1) return Status::InvalidArgument(where + "must be at least 1");
      continue;
    }
    const Field* f = nullptr;
    for (const Field& c : fields)
      if (key == c.name) f = &c;
    if (!f) return Status::InvalidArgument(where + "unknown key");
    double v;
    try {
      v = it->second.as<double>();
    } catch (const YAML::Exception&) {
      return Status::InvalidArgument(where + "must be a number");
    }
    bool is_target = key.rfind("target_", 0) == 0;
    if (!std::isfinite(v) || (is_target && v <= 0) || (key.rfind("w_", 0) == 0 && v < 0))
      return Status::InvalidArgument(where + (is_target ? "must be greater than 0" : "must not be negative"));
    if (key == "budget" && v > 100) return Status::InvalidArgument(where + "is a rating from 0 to 100");
    *f->value = v;
  }
  return Status::OK();
}

}  // namespace triage
