// Maturity: the Social Maturity Index (Conversocial's 2x2 of investment
// against innovation) computed from measured response metrics plus what a
// team declares about itself.
//
// Each axis is 0-100: a weighted mean of inputs, each scored 0-100 against a
// target (score = min(value / target, 1) x 100 unless said otherwise).
// Declared inputs left unset are left out and the remaining weights are
// renormalized, so a team that declares nothing is scored on what the engine
// measures. Every input is reported with its value, score, weight and
// contribution (score x weight / total weight), which add up to the axis.
//
// Innovation (early adoption of channels; resolving inside the channel):
//   in_channel_resolution  share of resolved conversations never sent off-channel (target 1)
//   channels_in_use        channels with conversations in the period (target 5)
//   new_channels           channels first seen in the last `new_channel_days` (target 2)
//   response_rate          conversations answered (target 1)
// Investment (people, hours and money committed; executives briefed):
//   agents_per_day         distinct agents acting per day (target 5)
//   hours_covered          distinct agent-active hours per week (target 84)
//   sla_attainment         first responses within the queue's target (target 1)
//   budget                 declared, 0-100 as given
//   dedicated_headcount    declared people dedicated to social care (target 5)
//   executive_briefings    declared briefings per month (target 4)
//
// Quadrant: an axis at or above `threshold` (50) is high. Observers (low
// investment, low innovation), Conservatives (high, low), Contenders (low,
// high), #SocialFirst (high, high).
#ifndef TRIAGE_ENGINE_METRICS_MATURITY_H_
#define TRIAGE_ENGINE_METRICS_MATURITY_H_

#include <string>
#include <vector>

#include "engine/metrics/response_metrics.h"
#include "base/status.h"

namespace triage {

struct MaturityConfig {
  double threshold = 50;
  // Innovation weights and targets.
  double w_in_channel_resolution = 0.40, w_channels_in_use = 0.25, w_new_channels = 0.15, w_response_rate = 0.20;
  double target_channels = 5, target_new_channels = 2;
  int new_channel_days = 365;
  // Investment weights and targets.
  double w_agents_per_day = 0.20, w_hours_covered = 0.20, w_sla_attainment = 0.20, w_budget = 0.15,
         w_dedicated_headcount = 0.15, w_executive_briefings = 0.10;
  double target_agents_per_day = 5, target_hours_per_week = 84, target_headcount = 5, target_briefings = 4;
  // Declared inputs; negative: not declared (left out).
  double budget = -1;                       // 0-100: the team's own rating of its budget
  double dedicated_headcount = -1;          // people
  double executive_briefings_per_month = -1;

  // Reads a `maturity:` mapping from a YAML file (the serve config may hold
  // it); errors name the file, line and key. A file without it is fine.
  static Status LoadFile(const std::string& path, MaturityConfig* out);
};

struct MaturityInput {
  std::string axis;  // innovation | investment
  std::string name;
  double value = 0;  // as measured or declared
  double target = 0;
  double score = 0;  // 0-100
  double weight = 0;
  double contribution = 0;  // to the axis score
  bool declared = false;
};

struct MaturityPoint {
  std::string period;  // "all" or an ISO week
  double investment = 0, innovation = 0;
  std::string quadrant;
};

struct MaturityReport {
  MaturityPoint overall;
  std::string recommendation;
  std::vector<MaturityInput> inputs;
  std::vector<MaturityPoint> weekly;  // oldest first
  MetricsSummary metrics;

  std::string ToJson() const;
  std::string ToText() const;
};

// How an input reads in front of people (the HTML brief): a label in words
// ("First response within SLA") and how its value is shown. The JSON and text
// reports keep the machine name (`sla_attainment`), which scripts rely on.
struct MaturityInputDisplay {
  std::string label;
  // "%": the value is a share 0-1, shown as a percentage. Otherwise a unit
  // after the number ("h"), or empty for a count or a rating.
  std::string unit;
};
// Every input AssessMaturity produces has an entry; an unknown name reads as
// its words ("some_input" -> "Some input") so no machine name leaks.
MaturityInputDisplay DisplayOfMaturityInput(const std::string& name);

std::string QuadrantOf(double investment, double innovation, double threshold);
std::string RecommendationFor(const std::string& quadrant);

MaturityReport AssessMaturity(const MetricsSummary& metrics, const MaturityConfig& config);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_MATURITY_H_
