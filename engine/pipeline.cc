#include "engine/pipeline.h"

#include <cmath>

#include <cstdlib>
#include <filesystem>

#include "base/json_writer.h"

#ifndef TRIAGE_SOURCE_RULES
#define TRIAGE_SOURCE_RULES "rules/default"
#endif

namespace triage {

Status Pipeline::Load(const std::string& rules_path, const PatternDatabaseOptions& options,
                      std::unique_ptr<Pipeline>* out) {
  return Load(rules_path, options, "", out);
}

Status Pipeline::Load(const std::string& rules_path, const PatternDatabaseOptions& options, const std::string& model,
                      std::unique_ptr<Pipeline>* out) {
  RulePack pack;
  Status s = RulePack::Load(rules_path, &pack);
  if (!s.ok()) return s;
  return FromPack(std::move(pack), options, model, out);
}

Status Pipeline::FromPack(RulePack pack, const PatternDatabaseOptions& options, std::unique_ptr<Pipeline>* out) {
  return FromPack(std::move(pack), options, "", out);
}

Status Pipeline::FromPack(RulePack pack, const PatternDatabaseOptions& options, const std::string& model,
                          std::unique_ptr<Pipeline>* out) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  std::string model_path = model.empty() ? pack.settings().model : model == "none" ? "" : model;
  std::shared_ptr<LinearModel> m;
  if (!model_path.empty()) {
    m = std::make_shared<LinearModel>();
    Status ms = LinearModel::Load(model_path, m.get());
    if (!ms.ok()) {
      const SourceLocation& w = pack.settings().model_where;
      if (model.empty() && !w.file.empty())
        return Status::InvalidArgument(w.file + ":" + std::to_string(w.line) + ": pack model: " + ms.message());
      return ms;
    }
  }
  Status s = Classifier::Create(std::move(pack), options, std::move(m), &p->classifier_);
  if (!s.ok()) return s;
  p->routes_ = std::make_unique<RouteTable>(p->classifier_->pack().routes());
  *out = std::move(p);
  return Status::OK();
}

std::string Pipeline::DefaultRulesPath() {
  if (const char* env = std::getenv("TRIAGE_RULES"); env && *env) return env;
  return BundledRulesPath();
}

std::string Pipeline::BundledRulesPath() {
  // An installed binary must not depend on the build machine's source tree:
  // it finds the pack that `cmake --install` put beside it (CMakeLists.txt,
  // install rules: bin/triage and share/triage/rules/default). A binary run
  // from the build tree has no such directory and uses the source tree's.
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path installed = exe.parent_path().parent_path() / "share/triage/rules/default";
    if (std::filesystem::is_directory(installed, ec)) return installed.string();
  }
  return TRIAGE_SOURCE_RULES;
}

DecisionWriter::DecisionWriter(const RulePack& pack) {
  for (const Rule& r : pack.rules()) {
    std::string q;
    AppendJsonString(r.id, &q);
    quoted_rule_ids_.push_back(std::move(q));
  }
}

void DecisionWriter::Append(const Message& msg, const Decision& d, std::string* out) const {
  const Verdict& v = d.verdict;
  out->append("{\"id\":");
  AppendJsonString(msg.id, out);
  out->append(",\"label\":\"");
  out->append(LabelName(v.label));
  out->append("\",\"queue\":");
  AppendJsonString(d.routing.queue, out);
  out->append(",\"priority\":\"");
  out->append(PriorityName(d.routing.priority));
  out->append("\",\"lang\":");
  AppendJsonString(v.lang, out);
  out->append(",\"scores\":{");
  for (int i = 0; i < kNumLabels; ++i) {
    if (i) out->push_back(',');
    out->push_back('"');
    out->append(LabelName(static_cast<Label>(i)));
    out->append("\":");
    AppendJsonScore(v.scores[i], out);
  }
  out->append("},\"rules\":[");
  for (size_t i = 0; i < v.fired.size(); ++i) {
    if (i) out->push_back(',');
    out->append(quoted_rule_ids_[v.fired[i]]);
  }
  out->push_back(']');
  if (v.has_model) {
    out->append(",\"model\":{\"label\":\"");
    out->append(LabelName(v.model_label));
    out->append("\",\"p\":");
    AppendJsonScore(v.model[static_cast<int>(v.model_label)], out);
    out->append(",\"coverage\":");
    AppendJsonScore(v.coverage, out);
    out->push_back('}');
  }
  if (v.forced) out->append(",\"forced\":true");
  if (v.crisis_held_back) out->append(",\"crisis_held_back\":true");
  out->append(",\"confidence\":");
  AppendJsonScore(v.confidence, out);
  if (v.review) out->append(",\"review\":true");
  if (!d.alert.empty()) {
    out->append(",\"alert\":");
    AppendJsonString(d.alert, out);
  }
  if (!d.escalation.empty()) {
    out->append(",\"escalation\":");
    AppendJsonString(d.escalation, out);
  }
  out->append("}\n");
}

}  // namespace triage
