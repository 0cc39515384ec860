// The maturity report as one self-contained HTML page (inline CSS and SVG,
// no network fetches): the 2x2 matrix with the team's point and its weekly
// path, every input beside its contribution, and weekly charts of first
// response time and SLA attainment. An executive briefing at a glance.
#ifndef TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_
#define TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_

#include <string>

#include "engine/metrics/maturity.h"

namespace triage {

std::string MaturityHtml(const MaturityReport& report, const std::string& title = "Social Maturity Index");

}  // namespace triage

#endif  // TRIAGE_ENGINE_METRICS_MATURITY_HTML_H_
