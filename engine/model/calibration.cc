#include "engine/model/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace triage {

namespace {

// Mean negative log-likelihood of the truths under `model` calibrated by `c`.
double MeanNll(const std::vector<CalibrationSample>& samples, LinearModel* model, const Calibration& c) {
  model->set_calibration(c);
  double nll = 0;
  LabelProbs p;
  for (const CalibrationSample& s : samples) {
    model->Calibrate(s.logits, s.coverage, &p);
    nll -= std::log(std::max(p[static_cast<int>(s.truth)], 1e-12));
  }
  return samples.empty() ? 0 : nll / static_cast<double>(samples.size());
}

double Ece(const std::vector<CalibrationSample>& samples, LinearModel* model, const Calibration& c) {
  model->set_calibration(c);
  std::vector<LabelProbs> probs;
  std::vector<Label> truths;
  for (const CalibrationSample& s : samples) {
    probs.emplace_back();
    model->Calibrate(s.logits, s.coverage, &probs.back());
    truths.push_back(s.truth);
  }
  return ExpectedCalibrationError(probs, truths);
}

}  // namespace

double ExpectedCalibrationError(const std::vector<LabelProbs>& probs, const std::vector<Label>& truths, int bins) {
  std::vector<double> conf(static_cast<size_t>(bins), 0), acc(static_cast<size_t>(bins), 0), n(static_cast<size_t>(bins), 0);
  for (size_t i = 0; i < probs.size(); ++i) {
    Label top = TopLabel(probs[i]);
    double p = probs[i][static_cast<int>(top)];
    int b = std::min(bins - 1, static_cast<int>(p * bins));
    conf[b] += p;
    acc[b] += top == truths[i] ? 1 : 0;
    n[b] += 1;
  }
  double ece = 0;
  for (int b = 0; b < bins; ++b)
    if (n[b] > 0) ece += std::fabs(acc[b] - conf[b]) / static_cast<double>(probs.size());
  return ece;
}

Calibration FitCalibration(const std::vector<CalibrationSample>& samples, const LinearModel& model_in,
                           const Calibration& base, double crisis_precision, CalibrationReport* report) {
  LinearModel model = model_in;  // a copy to try calibrations on
  Calibration raw;               // temperature 1, no familiarity scaling
  raw.review_threshold = base.review_threshold;
  Calibration c = raw;
  if (samples.empty()) return c;

  // Unfamiliar: below the 5th percentile of held-out coverage.
  std::vector<double> cov;
  for (const auto& s : samples) cov.push_back(s.coverage);
  std::sort(cov.begin(), cov.end());
  c.familiar_coverage = cov[cov.size() / 20];

  // Temperature: a grid in log space, then a finer one around the best.
  double best_t = 1, best = 1e300;
  for (int i = 0; i <= 80; ++i) {
    Calibration t = c;
    t.temperature = std::exp(std::log(0.2) + (std::log(8.0) - std::log(0.2)) * i / 80.0);
    double nll = MeanNll(samples, &model, t);
    if (nll < best) best = nll, best_t = t.temperature;
  }
  for (int i = -20; i <= 20; ++i) {
    Calibration t = c;
    t.temperature = best_t * std::exp(0.05 * i / 20.0);
    double nll = MeanNll(samples, &model, t);
    if (nll < best) best = nll, best_t = t.temperature;
  }
  c.temperature = best_t;

  // The model alone on crisis: the lowest threshold that is right often enough.
  std::vector<std::pair<double, bool>> alone;  // (P(crisis), truly crisis) where crisis is the top label, no rule
  model.set_calibration(c);
  LabelProbs p;
  for (const auto& s : samples) {
    if (s.crisis_rule) continue;
    model.Calibrate(s.logits, s.coverage, &p);
    if (TopLabel(p) == Label::kCrisis) alone.emplace_back(p[static_cast<int>(Label::kCrisis)], s.truth == Label::kCrisis);
  }
  c.crisis_threshold = 2.0;
  size_t chosen_n = 0;
  double chosen_precision = 0;
  for (int i = 30; i <= 99; ++i) {
    double tau = i / 100.0;
    size_t predicted = 0, right = 0;
    for (const auto& [pc, truth] : alone)
      if (pc >= tau) ++predicted, right += truth ? 1 : 0;
    if (predicted >= 5 && static_cast<double>(right) >= crisis_precision * static_cast<double>(predicted)) {
      c.crisis_threshold = tau;
      chosen_n = predicted;
      chosen_precision = static_cast<double>(right) / static_cast<double>(predicted);
      break;
    }
  }

  if (report) {
    report->messages = samples.size();
    report->ece_before = Ece(samples, &model, raw);
    report->nll_before = MeanNll(samples, &model, raw);
    report->ece_after = Ece(samples, &model, c);
    report->nll_after = MeanNll(samples, &model, c);
    report->unfamiliar = 0;
    for (const auto& s : samples) report->unfamiliar += s.coverage < c.familiar_coverage;
    report->crisis_alone = chosen_n;
    report->crisis_alone_precision = chosen_precision;
  }
  return c;
}

std::string CalibrationReport::ToText() const {
  char b[512];
  std::snprintf(b, sizeof b,
                "  %zu messages: expected calibration error %.3f -> %.3f, log-loss %.3f -> %.3f; %zu under the "
                "familiar coverage; model-alone crisis: %zu labels, precision %.3f\n",
                messages, ece_before, ece_after, nll_before, nll_after, unfamiliar, crisis_alone, crisis_alone_precision);
  return b;
}

std::string CalibrationReport::ToJson() const {
  char b[512];
  std::snprintf(b, sizeof b,
                "{\"messages\":%zu,\"ece_before\":%.4f,\"ece_after\":%.4f,\"nll_before\":%.4f,\"nll_after\":%.4f,"
                "\"unfamiliar\":%zu,\"crisis_alone\":%zu,\"crisis_alone_precision\":%.4f}",
                messages, ece_before, ece_after, nll_before, nll_after, unfamiliar, crisis_alone, crisis_alone_precision);
  return b;
}

}  // namespace triage
