#include "engine/eval.h"

#include <cstdio>

#include "base/json_writer.h"

namespace triage {

int64_t ConfusionMatrix::Total() const {
  int64_t t = 0;
  for (const auto& row : m_)
    for (int64_t c : row) t += c;
  return t;
}

double ConfusionMatrix::Accuracy() const {
  int64_t t = Total(), ok = 0;
  for (int i = 0; i < kNumLabels; ++i) ok += m_[i][i];
  return t ? static_cast<double>(ok) / static_cast<double>(t) : 0;
}

LabelMetrics ConfusionMatrix::Metrics(Label l) const {
  int i = Index(l);
  LabelMetrics out;
  int64_t tp = m_[i][i];
  for (int j = 0; j < kNumLabels; ++j) {
    out.support += m_[i][j];
    out.predicted += m_[j][i];
  }
  out.defined = out.support + out.predicted > 0;
  out.precision = out.predicted ? static_cast<double>(tp) / static_cast<double>(out.predicted) : 0;
  out.recall = out.support ? static_cast<double>(tp) / static_cast<double>(out.support) : 0;
  double pr = out.precision + out.recall;
  out.f1 = pr > 0 ? 2 * out.precision * out.recall / pr : 0;
  return out;
}

double ConfusionMatrix::MacroF1() const {
  double sum = 0;
  int n = 0;
  for (Label l : kAllLabels) {
    LabelMetrics m = Metrics(l);
    if (!m.defined) continue;
    sum += m.f1;
    ++n;
  }
  return n ? sum / n : 0;
}

std::string ConfusionMatrix::ToText() const {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %9s %9s %9s %9s %9s\n", "label", "precision", "recall", "f1", "support",
                "predicted");
  out += line;
  for (Label l : kAllLabels) {
    LabelMetrics m = Metrics(l);
    if (m.defined)
      std::snprintf(line, sizeof line, "%-10s %9.3f %9.3f %9.3f %9lld %9lld\n", std::string(LabelName(l)).c_str(),
                    m.precision, m.recall, m.f1, static_cast<long long>(m.support),
                    static_cast<long long>(m.predicted));
    else
      std::snprintf(line, sizeof line, "%-10s %9s %9s %9s %9d %9d\n", std::string(LabelName(l)).c_str(), "n/a",
                    "n/a", "n/a", 0, 0);
    out += line;
  }
  std::snprintf(line, sizeof line, "\nmessages %lld  accuracy %.3f  macro-F1 %.3f\n\n",
                static_cast<long long>(Total()), Accuracy(), MacroF1());
  out += line;
  out += "confusion (rows: truth, columns: predicted)\n";
  std::snprintf(line, sizeof line, "%-10s", "");
  out += line;
  for (Label l : kAllLabels) {
    std::snprintf(line, sizeof line, " %9s", std::string(LabelName(l)).c_str());
    out += line;
  }
  out += "\n";
  for (Label t : kAllLabels) {
    std::snprintf(line, sizeof line, "%-10s", std::string(LabelName(t)).c_str());
    out += line;
    for (Label p : kAllLabels) {
      std::snprintf(line, sizeof line, " %9lld", static_cast<long long>(Count(t, p)));
      out += line;
    }
    out += "\n";
  }
  return out;
}

std::string ConfusionMatrix::ToJson() const {
  std::string out = "{\"messages\":";
  AppendJsonInt(Total(), &out);
  out += ",\"accuracy\":";
  AppendJsonNumber(Accuracy(), &out);
  out += ",\"macro_f1\":";
  AppendJsonNumber(MacroF1(), &out);
  out += ",\"per_label\":{";
  bool first = true;
  for (Label l : kAllLabels) {
    LabelMetrics m = Metrics(l);
    if (!first) out += ",";
    first = false;
    AppendJsonString(LabelName(l), &out);
    out += ":{\"precision\":";
    AppendJsonNumber(m.precision, &out);
    out += ",\"recall\":";
    AppendJsonNumber(m.recall, &out);
    out += ",\"f1\":";
    AppendJsonNumber(m.f1, &out);
    out += ",\"support\":";
    AppendJsonInt(m.support, &out);
    out += ",\"predicted\":";
    AppendJsonInt(m.predicted, &out);
    out += ",\"defined\":";
    out += m.defined ? "true" : "false";
    out += "}";
  }
  out += "},\"confusion\":{\"labels\":[\"lead\",\"support\",\"feedback\",\"crisis\",\"none\"],\"matrix\":[";
  for (int i = 0; i < kNumLabels; ++i) {
    out += i ? ",[" : "[";
    for (int j = 0; j < kNumLabels; ++j) {
      if (j) out += ",";
      AppendJsonInt(m_[i][j], &out);
    }
    out += "]";
  }
  out += "]}}";
  return out;
}

}  // namespace triage
