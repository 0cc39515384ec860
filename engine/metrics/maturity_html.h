// The maturity report as one self-contained HTML page (inline CSS and SVG,
// no network fetches): the 2x2 matrix with the team's point and its weekly
// path, every input beside its contribution, and weekly charts of first
// response time and SLA attainment. An executive briefing at a glance: inputs
// carry readable names (DisplayOfMaturityInput), durations readable units,
// every chart a scale with units (SLA on a fixed 0-100 % scale), and every
// SVG keeps a margin wide enough for its labels.
#ifndef TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_
#define TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_

#include <string>

#include "engine/metrics/maturity.h"

namespace triage {

std::string MaturityHtml(const MaturityReport& report, const std::string& title = "Social Maturity Index");

// A duration as people read it: "8.5 s", "14 min", "3.2 h", "29.9 days". The
// unit grows with the duration, so a number never runs into thousands of
// minutes. NaN or negative (nothing measured): "n/a".
std::string FormatDuration(double seconds);

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_
