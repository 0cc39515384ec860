#include "runtime/server/live_detector.h"

#include <algorithm>

#include "base/json_writer.h"

namespace triage {

void LiveDetector::SyncLocked(uint64_t generation, const Pipeline& p) {
  if (detector_ && generation == generation_) return;
  generation_ = generation;
  // Same settings: keep the baselines and open alerts across the reload.
  if (detector_ && settings_ == p.pack().detector_source()) return;
  settings_ = p.pack().detector_source();
  detector_ = std::make_unique<CrisisDetector>(p.pack().detector());
  detector_->set_lexicon(lexicon_);
  next_unannounced_ = 0;
}

bool LiveDetector::SeenLocked(std::string_view id) {
  uint64_t h = std::hash<std::string_view>{}(id);
  if (!recent_.insert(h).second) return true;
  recent_order_.push_back(h);
  if (recent_order_.size() > kRecentIds) {
    recent_.erase(recent_order_.front());
    recent_order_.pop_front();
  }
  return false;
}

void LiveDetector::Observe(uint64_t generation, const Pipeline& p, const Message& msg, std::string_view normalized,
                           Decision* d, int64_t wall_ms) {
  std::lock_guard<std::mutex> l(mu_);
  SyncLocked(generation, p);
  if (SeenLocked(msg.id)) {
    // Counted already (a retry): mark it the same way without counting.
    ++stats_.repeats;
    Message copy = msg;
    copy.created_at_ms = 0;  // not counted, but reach-and-tone still applies
    detector_->Observe(copy, p.pack(), normalized, d);
    return;
  }
  ++stats_.observed;
  std::vector<int> opened;
  int carried = detector_->Observe(msg, p.pack(), normalized, d, &opened);
  stats_.opened += opened.size();
  if (carried >= 0) ++stats_.carried_alert;
  if (d->escalation == "reach") ++stats_.escalated_reach;
  if (msg.created_at_ms > last_event_ms_) last_event_ms_ = msg.created_at_ms;
  last_wall_ms_ = wall_ms;
}

bool LiveDetector::Tick(int64_t wall_ms) {
  std::lock_guard<std::mutex> l(mu_);
  if (!detector_ || last_event_ms_ == 0 || wall_ms - last_wall_ms_ < kIdleMs) return false;
  size_t open_before = detector_->stats().open_alerts;
  detector_->CloseQuiet(last_event_ms_ + (wall_ms - last_wall_ms_));
  return detector_->stats().open_alerts < open_before;
}

std::string LiveDetector::AlertDecision(const BurstAlert& a, const Routing& r) {
  std::string o = "{\"id\":";
  AppendJsonString(a.id, &o);
  o += ",\"label\":\"crisis\",\"queue\":";
  AppendJsonString(r.queue, &o);
  o += ",\"priority\":\"";
  o += PriorityName(r.priority);
  o += "\",\"kind\":\"alert\",\"alert\":";
  AppendJsonString(a.id, &o);
  o += ",\"topic\":";
  AppendJsonString(a.topic, &o);
  o += ",\"rules\":[]}";
  return o;
}

void LiveDetector::TakeEffects(const Pipeline& p, const Submit& submit) {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<AlertRecord> records;
  std::vector<IngestItem> items;
  {
    std::lock_guard<std::mutex> r(retry_mu_);
    records.swap(retry_records_);
    items.swap(retry_items_);
  }
  for (int i : detector_ ? detector_->TakeChanged() : std::vector<int>()) {
    const BurstAlert& a = detector_->alert(i);
    // The newest state wins over one handed back from a failed write.
    records.erase(std::remove_if(records.begin(), records.end(), [&](const AlertRecord& r) { return r.id == a.id; }),
                  records.end());
    records.push_back(AlertRecord{a.id, detector_->AlertJson(i)});
    if (listener_) listener_(a.topic, records.back().json);
    if (!detector_->alert_open(i)) ++stats_.closed;
    // Alerts are numbered in opening order and each is reported as changed
    // when it opens: one numbered past the last announced is new.
    if (i < next_unannounced_) continue;
    next_unannounced_ = i + 1;
    // The alert's own item: routed as a crisis from the alerted brand.
    Message m;
    m.id = a.id;
    m.kind = Kind::kPublic;
    if (a.topic.rfind("brand:", 0) == 0) m.brand = std::string_view(a.topic).substr(6);
    Verdict v;
    v.label = Label::kCrisis;
    v.priority = Priority::kUrgent;
    Routing r = p.routes().Route(m, v);
    r.priority = Priority::kUrgent;
    IngestItem item;
    item.id = a.id;
    item.raw = detector_->AlertJson(i);
    item.decision = AlertDecision(a, r);
    item.queue = std::string(r.queue);
    item.priority = r.priority;
    item.conversation_id = a.id;
    items.push_back(std::move(item));
  }
  submit(std::move(records), std::move(items));
}

void LiveDetector::Restore(std::vector<AlertRecord> records, std::vector<IngestItem> items) {
  std::lock_guard<std::mutex> l(retry_mu_);
  for (auto& r : records) {
    bool newer = std::any_of(retry_records_.begin(), retry_records_.end(), [&](const AlertRecord& x) { return x.id == r.id; });
    if (!newer) retry_records_.push_back(std::move(r));
  }
  for (auto& i : items) retry_items_.push_back(std::move(i));
}

LiveDetector::Stats LiveDetector::stats() const {
  std::lock_guard<std::mutex> l(mu_);
  Stats s = stats_;
  if (detector_) s.detector = detector_->stats();
  return s;
}

}  // namespace triage
