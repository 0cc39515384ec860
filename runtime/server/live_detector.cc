#include "runtime/server/live_detector.h"

#include <algorithm>

#include "base/json_writer.h"
#include "engine/detector/checkpoint_codec.h"

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
  ++changes_;
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
  ++changes_;
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

uint64_t LiveDetector::changes() const {
  std::lock_guard<std::mutex> l(mu_);
  return changes_;
}

bool LiveDetector::Checkpoint(uint64_t position, int64_t wall_ms, std::string* blob) {
  std::string payload;
  DetectorCheckpointHeader h;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!detector_) return false;
    CheckpointWriter w(&payload);
    std::vector<int> renumbered;
    detector_->SaveState(&w, &renumbered);
    // Alerts are renumbered without the closed ones left out; those below
    // next_unannounced_ that remain are still below it.
    int announced = 0;
    for (size_t i = 0; i < renumbered.size() && static_cast<int>(i) < next_unannounced_; ++i) announced += renumbered[i] >= 0;
    w.Signed(last_event_ms_);
    w.Varint(static_cast<uint64_t>(announced));
    w.Varint(recent_order_.size());
    for (uint64_t id : recent_order_) w.Fixed64(id);
    h.settings = DetectorSettingsFingerprint(detector_->options(), settings_);
    h.last_event_ms = last_event_ms_;
  }
  h.position = position;
  h.written_at_ms = wall_ms;
  *blob = SealDetectorCheckpoint(h, payload);
  return true;
}

Status LiveDetector::RestoreCheckpoint(const Pipeline& p, std::string_view blob, uint64_t max_position,
                                       int64_t wall_ms, DetectorCheckpointHeader* header) {
  const RulePack& pack = p.pack();
  std::string_view payload;
  if (Status s = OpenDetectorCheckpoint(blob, DetectorSettingsFingerprint(pack.detector(), pack.detector_source()),
                                        header, &payload);
      !s.ok())
    return s;
  if (header->position > max_position)
    return Status::InvalidArgument("it covers messages up to arrival number " + std::to_string(header->position - 1) +
                                   " and the store ends at " + std::to_string(max_position - 1) +
                                   " (restored from an older backup, or another store's checkpoint)");
  auto detector = std::make_unique<CrisisDetector>(pack.detector());
  detector->set_lexicon(lexicon_);
  CheckpointReader r(payload);
  if (Status s = detector->LoadState(&r); !s.ok()) return Status::Corruption("detector state: " + s.message());
  int64_t last_event_ms = 0;
  uint64_t announced = 0, n_recent = 0;
  if (!r.Signed(&last_event_ms, "last event time") ||
      !r.Bounded(&announced, detector->num_alerts(), "alerts announced") ||
      !r.Bounded(&n_recent, kRecentIds, "recent message ids"))
    return Status::Corruption(r.error());
  std::deque<uint64_t> order;
  std::unordered_set<uint64_t> recent;
  recent.reserve(n_recent);
  for (uint64_t i = 0; i < n_recent; ++i) {
    uint64_t id = 0;
    if (!r.Fixed64(&id, "recent message id")) return Status::Corruption(r.error());
    if (!recent.insert(id).second) return Status::Corruption("recent message ids: one id twice");
    order.push_back(id);
  }
  if (!r.at_end()) return Status::Corruption(std::to_string(r.remaining()) + " bytes after the end of the state");
  std::lock_guard<std::mutex> l(mu_);
  detector_ = std::move(detector);
  settings_ = pack.detector_source();
  // generation_ stays: the first Observe's generation differs, finds the
  // same settings and keeps this detector (SyncLocked).
  recent_.swap(recent);
  recent_order_.swap(order);
  last_event_ms_ = last_event_ms;
  last_wall_ms_ = wall_ms;
  next_unannounced_ = static_cast<int>(announced);
  ++changes_;
  return Status::OK();
}

}  // namespace triage
