#include "engine/detector/crisis_detector.h"

#include <algorithm>
#include <cctype>

#include "base/json_writer.h"
#include "base/rfc3339.h"
#include "format/alert_line.h"

namespace triage {

namespace {

bool IsTagByte(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

bool IsOpenVocabulary(std::string_view topic) {
  return topic.substr(0, 4) == "tag:" || topic.substr(0, 5) == "term:";
}

// Whether a word of normalized text can be a term: at least `min_cp` code
// points, not all digits, and starting with a letter or digit. Words that
// start in the symbol blocks (U+2000..U+2FFF: punctuation, arrows, dingbats)
// or outside the Basic Multilingual Plane (emoji) are symbols: TextNormalizer
// makes each one a word of its own.
bool IsTermWord(std::string_view w, int min_cp) {
  auto lead = static_cast<unsigned char>(w[0]);
  if (lead < 0x80 ? !std::isalnum(lead) : (lead >= 0xF0 || lead == 0xE2)) return false;
  int cps = 0;
  bool all_digits = true;
  for (char ch : w) {
    auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) != 0x80) ++cps;
    if (c < '0' || c > '9') all_digits = false;
  }
  return cps >= min_cp && !all_digits;
}

}  // namespace

CrisisDetector::CrisisDetector(const CrisisDetectorOptions& options)
    : options_(options),
      fast_([&] {
        BurstDetectorOptions o = options.fast;
        o.pinned_prefixes = {"brand:", "rule:"};
        for (const auto& [brand, th] : options.brands) o.overrides["brand:" + brand] = th;
        return o;
      }()),
      slow_([&] {
        BurstDetectorOptions o = options.slow;
        o.pinned_prefixes = {"brand:", "rule:"};
        for (const auto& [brand, th] : options.brands) o.overrides["brand:" + brand] = th;
        return o;
      }()),
      terms_(options.terms.capacity) {
  for (const std::string& t : options_.ignore) {
    if (!t.empty() && t.back() == '*') ignore_prefix_.push_back(t.substr(0, t.size() - 1));
    else ignore_exact_.push_back(t);
  }
  std::sort(ignore_exact_.begin(), ignore_exact_.end());
  for (const std::string& w : options_.terms.stopwords) stopwords_.insert(std::hash<std::string_view>{}(w));
}

bool CrisisDetector::Ignored(std::string_view topic) const {
  for (const std::string& p : ignore_prefix_)
    if (topic.substr(0, p.size()) == p) return true;
  return std::binary_search(ignore_exact_.begin(), ignore_exact_.end(), topic);
}

void CrisisDetector::Topics(const Message& msg, const RulePack& pack, const Verdict& v, std::string_view normalized,
                            std::vector<std::string>* out) const {
  // Strings are reused from call to call: no allocation once they have grown.
  size_t n = 0;
  auto next = [&]() -> std::string& {
    if (n == out->size()) out->emplace_back();
    std::string& s = (*out)[n++];
    s.clear();
    return s;
  };
  // Drops the topic just added if an earlier one has the same name.
  auto dedupe_last = [&](size_t from) {
    const std::string& last = (*out)[n - 1];
    for (size_t k = from; k + 1 < n; ++k)
      if ((*out)[k] == last) {
        --n;
        return;
      }
  };
  if (!msg.brand.empty()) next().append("brand:").append(msg.brand);
  for (uint32_t r : v.fired) next().append("rule:").append(pack.rules()[r].id);
  const size_t open_from = n;
  std::string_view t = msg.text;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] != '#') continue;
    size_t j = i + 1;
    while (j < t.size() && IsTagByte(static_cast<unsigned char>(t[j]))) ++j;
    if (j - i > 2) {
      std::string& tag = next();
      tag.append("tag:");
      for (size_t k = i + 1; k < j; ++k) tag.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(t[k]))));
      dedupe_last(open_from);
    }
    i = j - 1;
  }
  if (options_.terms.enabled) {
    const size_t terms_from = n;
    size_t pos = 0;
    while (pos < normalized.size()) {
      size_t end = normalized.find(' ', pos);
      if (end == std::string_view::npos) end = normalized.size();
      std::string_view w = normalized.substr(pos, end - pos);
      pos = end + 1;
      if (w.empty() || !IsTermWord(w, options_.terms.min_codepoints) ||
          stopwords_.count(std::hash<std::string_view>{}(w)))
        continue;
      next().append("term:").append(w);
      dedupe_last(terms_from);
    }
  }
  out->resize(n);
}

int CrisisDetector::Unified(int scale, int index) {
  if (index < 0) return -1;
  std::vector<int>& map = scale == 0 ? fast_to_unified_ : slow_to_unified_;
  if (static_cast<size_t>(index) >= map.size()) map.resize(static_cast<size_t>(index) + 1, -1);
  if (map[static_cast<size_t>(index)] < 0) {
    int u = static_cast<int>(incidents_.size());
    map[static_cast<size_t>(index)] = u;
    incidents_.emplace_back();
    incidents_.back().scale = scale;
    incidents_.back().index = index;
    open_incidents_.push_back(u);
    MarkChanged(u);
  }
  return map[static_cast<size_t>(index)];
}

void CrisisDetector::MarkChanged(int incident) {
  Incident& i = incidents_[static_cast<size_t>(incident)];
  if (i.changed) return;
  i.changed = true;
  changed_.push_back(incident);
}

std::vector<int> CrisisDetector::TakeChanged() {
  std::vector<int> out;
  out.swap(changed_);
  std::sort(out.begin(), out.end());
  for (int i : out) incidents_[static_cast<size_t>(i)].changed = false;
  return out;
}

void CrisisDetector::SweepClosed(int64_t t_ms) {
  for (size_t k = 0; k < open_incidents_.size();) {
    int u = open_incidents_[k];
    if (!alert_open(u)) {
      MarkChanged(u);
      // The brands linked to the incident are released, and stay quiet for
      // a cooldown: their windows still hold the incident's messages, which
      // must not open a second alert for the same story.
      Incident& inc = incidents_[static_cast<size_t>(u)];
      for (uint64_t h : inc.links) linked_.erase(h);
      inc.links.clear();
      // Every topic its messages counted on (its own, on the other scale
      // too) stays quiet for a cooldown: their windows still hold the
      // incident's messages, which must not open a second alert for the
      // same story after this one closes.
      for (uint64_t h : inc.touched) {
        fast_.Quiet(h, t_ms + options_.fast.cooldown_ms);
        slow_.Quiet(h, t_ms + options_.slow.cooldown_ms);
        if (auto it = suppressed_.find(h); it != suppressed_.end() && --it->second == 0) suppressed_.erase(it);
      }
      std::unordered_set<uint64_t>().swap(inc.touched);
      open_incidents_.erase(open_incidents_.begin() + static_cast<std::ptrdiff_t>(k));
    } else {
      ++k;
    }
  }
}

const BurstAlert& CrisisDetector::alert(int index) const {
  const Incident& i = incidents_[static_cast<size_t>(index)];
  return i.scale == 0 ? fast_.alert(i.index) : slow_.alert(i.index);
}

void CrisisDetector::CloseQuiet(int64_t t_ms) {
  fast_.CloseQuiet(t_ms);
  slow_.CloseQuiet(t_ms);
  SweepClosed(t_ms);
}

CrisisDetector::Stats CrisisDetector::stats() const {
  Stats s;
  s.topics = fast_.num_topics() + slow_.num_topics();
  s.evictable_topics = fast_.num_evictable_topics() + slow_.num_evictable_topics();
  s.terms_held = terms_.size();
  s.open_alerts = open_incidents_.size();
  return s;
}

int CrisisDetector::Observe(const Message& msg, const RulePack& pack, std::string_view normalized, Decision* d,
                            std::vector<int>* opened) {
  d->alert.clear();
  d->escalation.clear();
  const ReachEscalation& reach = options_.reach;
  if (lexicon_ && msg.kind == Kind::kPublic &&
      (msg.author.followers >= reach.min_followers || (reach.verified_counts && msg.author.verified)) &&
      lexicon_->Compound(normalized) <= reach.max_compound) {
    d->escalation = "reach";
    d->routing.priority = Priority::kUrgent;
  }
  // Event time before 1970 (or absent) is not counted: buckets are indices
  // from the epoch.
  if (msg.created_at_ms <= 0 || !options_.enabled) return -1;
  if (first_event_ms_ == 0) first_event_ms_ = msg.created_at_ms;
  const bool warm = msg.created_at_ms - first_event_ms_ >= options_.warmup_ms;
  // Once per minute of event time: close alerts whose topics went quiet.
  int64_t minute = msg.created_at_ms / 60'000;
  if (minute > last_minute_) {
    CloseQuiet(msg.created_at_ms);
    last_minute_ = minute;
  }
  if (options_.terms.halve_every_ms > 0) {
    int64_t period = msg.created_at_ms / options_.terms.halve_every_ms;
    if (period > last_halving_) {
      if (last_halving_ != 0) terms_.Halve();
      last_halving_ = period;
    }
  }
  Topics(msg, pack, d->verdict, normalized, &topics_);
  // The topics counted: not ignored, and for open-vocabulary ones, admitted
  // by the Space-Saving summary.
  active_.clear();
  hashes_.resize(topics_.size());
  for (size_t k = 0; k < topics_.size(); ++k) {
    const std::string& topic = topics_[k];
    if (Ignored(topic)) continue;
    const uint64_t h = hashes_[k] = BurstDetector::HashTopic(topic);
    // Admission is sticky: a word with burst state stays counted even when
    // a halving drops it below admit_count, or its baseline would miss the
    // messages it did not count and its next busy hour would look like a burst.
    if (IsOpenVocabulary(topic) && terms_.AddHash(h) < static_cast<uint64_t>(options_.terms.admit_count) &&
        !fast_.HasTopic(h))
      continue;
    active_.push_back(k);
  }
  // One incident, one alert: when one of the message's topics already has an
  // open alert on either scale (or this message opens one), bursts on its
  // other topics and scales are folded into it instead of opening their own.
  int current = -1;
  if (fast_.has_open_alerts() || slow_.has_open_alerts()) {
    for (size_t k : active_) {
      if (auto l = linked_.find(hashes_[k]); l != linked_.end()) {
        current = l->second;
        break;
      }
      current = Unified(0, fast_.OpenAlertOf(hashes_[k]));
      if (current < 0) current = Unified(1, slow_.OpenAlertOf(hashes_[k]));
      if (current >= 0) break;
    }
  }
  for (size_t k : active_) {
    const std::string& topic = topics_[k];
    bool now_open = false;
    // A topic the open incidents' messages counted on cannot open an alert
    // of its own meanwhile: its window holds the incident.
    const bool may_open = warm && current < 0 && (suppressed_.empty() || !suppressed_.count(hashes_[k]));
    int a = Unified(0, fast_.Observe(topic, hashes_[k], msg.created_at_ms, msg.id, &now_open, may_open));
    if (now_open && opened) opened->push_back(a);
    if (a >= 0 && current < 0) current = a;
    now_open = false;
    int b = Unified(1, slow_.Observe(topic, hashes_[k], msg.created_at_ms, msg.id, &now_open, may_open && current < 0));
    if (now_open && opened) opened->push_back(b);
    if (b >= 0 && current < 0) current = b;
  }
  SweepClosed(msg.created_at_ms);  // an Observe may have closed an alert that had gone quiet
  // The incident this message belonged to may have closed with it: then the
  // message does not carry it, and nothing is linked to or suppressed by a
  // closed incident (the sweep above has already released its topics).
  if (current >= 0 && !alert_open(current)) current = -1;
  if (current >= 0) {
    // The brands of a message in an incident join it: their other messages
    // fold into it too, even those that share no word or rule with the
    // burst (an outage is about the brand, whatever people call it).
    Incident& inc = incidents_[static_cast<size_t>(current)];
    for (size_t k : active_) {
      if (inc.touched.size() < kMaxTouched && inc.touched.insert(hashes_[k]).second) ++suppressed_[hashes_[k]];
      if (topics_[k].rfind("brand:", 0) != 0) continue;
      if (linked_.emplace(hashes_[k], current).second) inc.links.push_back(hashes_[k]);
    }
    ++incidents_[static_cast<size_t>(current)].messages;
    MarkChanged(current);
    d->alert = alert(current).id;
    if (d->routing.priority < Priority::kHigh) d->routing.priority = Priority::kHigh;
  }
  return current;
}

std::string CrisisDetector::AlertJson(int index) const {
  const BurstAlert& a = alert(index);
  std::string o(kAlertLinePrefix);
  o += ",\"alert\":";
  AppendJsonString(a.id, &o);
  o += ",\"topic\":";
  AppendJsonString(a.topic, &o);
  o += ",\"opened_at\":";
  AppendJsonString(FormatRfc3339(a.opened_at_ms), &o);
  o += ",\"closed_at\":";
  if (a.closed_at_ms) AppendJsonString(FormatRfc3339(a.closed_at_ms), &o);
  else o += "null";
  o += ",\"first_message\":";
  AppendJsonString(a.first_message, &o);
  o += ",\"messages\":";
  AppendJsonInt(alert_messages(index), &o);
  o += ",\"window_count\":";
  AppendJsonInt(a.window_count, &o);
  o += ",\"expected\":";
  AppendJsonScore(a.expected, &o);
  o += ",\"p_value\":";
  AppendJsonScore(a.p_value, &o);
  o += "}";
  return o;
}

}  // namespace triage
