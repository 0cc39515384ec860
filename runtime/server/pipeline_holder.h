// PipelineHolder: the pipeline the daemon serves with, swapped whole on
// reload. A reload that fails leaves the old pipeline serving.
#ifndef TRIAGE_RUNTIME_SERVER_PIPELINE_HOLDER_H_
#define TRIAGE_RUNTIME_SERVER_PIPELINE_HOLDER_H_

#include <memory>
#include <mutex>
#include <string>

#include "engine/pipeline.h"

namespace triage {

class PipelineHolder {
 public:
  // `model`: "" the pack's own, "none" rules only, else a model file.
  PipelineHolder(std::string rules_path, PatternDatabaseOptions options, std::string model = "")
      : rules_path_(std::move(rules_path)), options_(std::move(options)), model_(std::move(model)) {}

  // Loads and compiles the pack; on success swaps it in. Thread-safe.
  Status Reload() {
    std::unique_ptr<Pipeline> p;
    Status s = Pipeline::Load(rules_path_, options_, model_, &p);
    if (!s.ok()) return s;
    std::shared_ptr<const Pipeline> fresh(std::move(p));
    std::lock_guard<std::mutex> l(mu_);
    current_ = std::move(fresh);
    ++generation_;
    return Status::OK();
  }

  std::shared_ptr<const Pipeline> Current(uint64_t* generation = nullptr) const {
    std::lock_guard<std::mutex> l(mu_);
    if (generation) *generation = generation_;
    return current_;
  }
  uint64_t generation() const {
    std::lock_guard<std::mutex> l(mu_);
    return generation_;
  }
  const std::string& rules_path() const { return rules_path_; }

 private:
  const std::string rules_path_;
  const PatternDatabaseOptions options_;
  const std::string model_;
  mutable std::mutex mu_;
  std::shared_ptr<const Pipeline> current_;
  uint64_t generation_ = 0;
};

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_PIPELINE_HOLDER_H_
