#include "engine/processor.h"

namespace triage {

Status Processor::Create(std::shared_ptr<const Pipeline> pipeline, Stages stages, std::unique_ptr<Processor>* out) {
  std::unique_ptr<Processor> p(new Processor());
  if (Status s = pipeline->NewScratch(&p->scratch_); !s.ok()) return s;
  p->writer_ = std::make_unique<DecisionWriter>(pipeline->pack());
  p->pipeline_ = std::move(pipeline);
  p->stages_ = stages;
  *out = std::move(p);
  return Status::OK();
}

Status Processor::Process(Message* msg, Decision* d, std::string* line) {
  if (stages_.threads) msg->thread = stages_.threads->Lookup(*msg);
  if (Status s = pipeline_->Decide(*msg, scratch_.get(), d); !s.ok()) return s;
  return Finish(msg, scratch_->normalized(), d, line);
}

Status Processor::Resume(Message* msg, std::string_view normalized, Decision* d, std::string* line) {
  if (stages_.threads) {
    msg->thread = stages_.threads->Lookup(*msg);
    // Thread context is the model's input: without a model it changes nothing.
    if (msg->thread.known && pipeline_->classifier().model()) pipeline_->Redecide(*msg, normalized, scratch_.get(), d);
  }
  return Finish(msg, normalized, d, line);
}

Status Processor::Finish(Message* msg, std::string_view normalized, Decision* d, std::string* line) {
  if (stages_.threads) stages_.threads->Record(*msg, d->verdict.label);
  if (stages_.detector) stages_.detector->Observe(*pipeline_, *msg, normalized, d);
  if (line) writer_->Append(*msg, *d, line);
  return Status::OK();
}

}  // namespace triage
