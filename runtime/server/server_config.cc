#include "runtime/server/server_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <limits>
#include <map>
#include <optional>

#include "format/event.h"

namespace triage {

namespace {

struct Reader {
  std::string file;
  std::vector<std::string> errors;

  std::string Where(const YAML::Node& n, const std::string& key) const {
    return file + ":" + std::to_string(n.Mark().line + 1) + ": " + key + ": ";
  }
  template <typename T>
  void Int(const YAML::Node& n, const std::string& key, T* out, int64_t min, int64_t max) {
    try {
      int64_t v = n.as<int64_t>();
      if (v < min || v > max) {
        errors.push_back(Where(n, key) + "must be between " + std::to_string(min) + " and " + std::to_string(max));
        return;
      }
      *out = static_cast<T>(v);
    } catch (const YAML::Exception&) {
      errors.push_back(Where(n, key) + "must be an integer, got '" + (n.IsScalar() ? n.Scalar() : "a collection") + "'");
    }
  }
  void Bool(const YAML::Node& n, const std::string& key, bool* out) {
    try {
      *out = n.as<bool>();
    } catch (const YAML::Exception&) {
      errors.push_back(Where(n, key) + "must be true or false");
    }
  }
  void String(const YAML::Node& n, const std::string& key, std::string* out) {
    if (!n.IsScalar()) errors.push_back(Where(n, key) + "must be a string");
    else *out = n.Scalar();
  }
  // A key given twice in one mapping, anywhere in the file. YAML forbids it,
  // but yaml-cpp keeps both: iterating sees the last value and lookups the
  // first, so the two readers of the file would disagree on what it says.
  void UniqueKeys(const YAML::Node& n, const std::string& path) {
    if (n.IsSequence()) {
      for (size_t i = 0; i < n.size(); ++i) UniqueKeys(n[i], path + "[" + std::to_string(i) + "]");
      return;
    }
    if (!n.IsMap()) return;
    std::map<std::string, int> first_line;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      std::string key = it->first.Scalar(), name = path.empty() ? key : path + "." + key;
      auto [at, inserted] = first_line.emplace(key, it->first.Mark().line + 1);
      if (!inserted) errors.push_back(Where(it->first, name) + "given twice (first on line " + std::to_string(at->second) + ")");
      UniqueKeys(it->second, name);
    }
  }
};

}  // namespace

void WebhookSecrets::FromEnvironment() {
  auto env = [](const char* name, std::string* field) {
    if (const char* v = std::getenv(name); v && *v) *field = v;
  };
  env("TRIAGE_META_APP_SECRET", &meta_app_secret);
  env("TRIAGE_META_VERIFY_TOKEN", &meta_verify_token);
  env("TRIAGE_X_CONSUMER_SECRET", &x_consumer_secret);
  env("TRIAGE_SLACK_SIGNING_SECRET", &slack_signing_secret);
  env("TRIAGE_TELEGRAM_SECRET_TOKEN", &telegram_secret_token);
  env("TRIAGE_MASTODON_SECRET", &mastodon_secret);
  env("TRIAGE_WEBHOOK_BEARER_TOKEN", &bearer_token);
  env("TRIAGE_CHATWOOT_TOKEN", &chatwoot_token);
}

Status ServerConfig::SetListen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("listen: expected HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    size_t used = 0;
    port = std::stoi(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1) port = -1;
  } catch (...) {
    port = -1;
  }
  if (port < 0 || port > 65535) return Status::InvalidArgument("listen: bad port in '" + listen + "'");
  this->host = host.empty() ? "0.0.0.0" : host;
  this->port = static_cast<uint16_t>(port);
  return Status::OK();
}

Status ServerConfig::LoadFile(const std::string& path, ServerConfig* c) {
  YAML::Node root;
  if (Status s = LoadConfigYaml(path, &root); !s.ok()) return s;
  if (!root || root.IsNull()) return Status::OK();
  Reader r{path, {}};
  if (!root.IsMap()) return Status::InvalidArgument(path + ": the config must be a mapping");
  r.UniqueKeys(root, "");
  // For the checks across keys after the loop: where each was set.
  // (std::optional: assigning a YAML::Node to a bound one would rewrite the
  // node it was bound to.)
  std::optional<YAML::Node> default_lease_at, max_lease_at;
  std::map<std::string, int> queue_lines;  // name -> line of its first listing
  for (auto it = root.begin(); it != root.end(); ++it) {
    std::string key = it->first.Scalar();
    YAML::Node v = it->second;
    if (key == "listen") {
      std::string listen;
      r.String(v, key, &listen);
      if (!listen.empty()) {
        Status s = c->SetListen(listen);
        if (!s.ok()) r.errors.push_back(r.Where(v, key) + s.message());
      }
    } else if (key == "data_dir") {
      r.String(v, key, &c->data_dir);
    } else if (key == "backup_dir") {
      r.String(v, key, &c->backup_dir);
    } else if (key == "sync_writes") {
      r.Bool(v, key, &c->sync_writes);
    } else if (key == "keep_edit_history") {
      r.Bool(v, key, &c->keep_edit_history);
    } else if (key == "max_pending_writes") {
      r.Int(v, key, &c->max_pending_writes, 1, 10'000'000);
    } else if (key == "detector_checkpoint_seconds") {
      r.Int(v, key, &c->detector_checkpoint_seconds, 0, 86400);
    } else if (key == "rules") {
      r.String(v, key, &c->rules);
    } else if (key == "cache_dir") {
      r.String(v, key, &c->cache_dir);
    } else if (key == "model") {
      r.String(v, key, &c->model);
    } else if (key == "lexicon") {
      r.String(v, key, &c->lexicon);
    } else if (key == "io_threads") {
      r.Int(v, key, &c->io_threads, 1, 256);
    } else if (key == "max_body_bytes") {
      r.Int(v, key, &c->max_body_bytes, 1024, int64_t{1} << 32);
    } else if (key == "max_batch_messages") {
      r.Int(v, key, &c->max_batch_messages, 1, 10'000'000);
    } else if (key == "header_timeout_seconds") {
      r.Int(v, key, &c->header_timeout_seconds, 1, 3600);
    } else if (key == "idle_timeout_seconds") {
      r.Int(v, key, &c->idle_timeout_seconds, 1, 86400);
    } else if (key == "max_connections") {
      r.Int(v, key, &c->max_connections, 1, 1'000'000);
    } else if (key == "drain_timeout_seconds") {
      r.Int(v, key, &c->drain_timeout_seconds, 0, 3600);
    } else if (key == "default_lease_seconds") {
      r.Int(v, key, &c->default_lease_seconds, 1, 7 * 86400);
      default_lease_at.emplace(v);
    } else if (key == "max_lease_seconds") {
      r.Int(v, key, &c->max_lease_seconds, 1, 30 * 86400);
      max_lease_at.emplace(v);
    } else if (key == "max_claim") {
      r.Int(v, key, &c->max_claim, 1, 100000);
    } else if (key == "agent_ttl_seconds") {
      r.Int(v, key, &c->agent_ttl_seconds, 1, 86400);
    } else if (key == "retention_sweep_seconds") {
      r.Int(v, key, &c->retention_sweep_seconds, 60, 7 * 86400);
    } else if (key == "webhooks") {
      if (!v.IsMap()) {
        r.errors.push_back(r.Where(v, key) + "must be a mapping of secrets");
        continue;
      }
      for (auto w = v.begin(); w != v.end(); ++w) {
        std::string k = w->first.Scalar();
        WebhookSecrets& ws = c->webhooks;
        std::string* field = k == "meta_app_secret" ? &ws.meta_app_secret
                             : k == "meta_verify_token" ? &ws.meta_verify_token
                             : k == "x_consumer_secret" ? &ws.x_consumer_secret
                             : k == "slack_signing_secret" ? &ws.slack_signing_secret
                             : k == "telegram_secret_token" ? &ws.telegram_secret_token
                             : k == "mastodon_secret" ? &ws.mastodon_secret
                             : k == "bearer_token" ? &ws.bearer_token
                             : k == "chatwoot_token" ? &ws.chatwoot_token
                                                   : nullptr;
        if (field) r.String(w->second, "webhooks." + k, field);
        else if (k == "slack_window_seconds") r.Int(w->second, "webhooks." + k, &ws.slack_window_seconds, 1, 3600);
        else r.errors.push_back(r.Where(w->first, "webhooks." + k) + "unknown option");
      }
    } else if (key == "queues") {
      if (!v.IsSequence()) {
        r.errors.push_back(r.Where(v, key) + "must be a list of {name, sla_seconds}");
        continue;
      }
      c->queues.clear();
      for (const auto& q : v) {
        QueueConfig qc;
        if (!q.IsMap() || !q["name"] || !q["name"].IsScalar() || q["name"].Scalar().empty()) {
          r.errors.push_back(r.Where(q, "queues") + "each queue needs a 'name'");
          continue;
        }
        qc.name = q["name"].Scalar();
        // A name must be unique (which entry would a queue get?), and fit
        // the API (a path segment, a to_queue) like any queue name.
        const int line = q["name"].Mark().line + 1;
        if (auto [at, inserted] = queue_lines.emplace(qc.name, line); !inserted)
          r.errors.push_back(r.Where(q["name"], "queues") + "queue '" + qc.name + "' is listed twice (first on line " +
                             std::to_string(at->second) + ")");
        if (qc.name.size() > kMaxQueueNameBytes)
          r.errors.push_back(r.Where(q["name"], "queues") + "a queue name of " + std::to_string(qc.name.size()) +
                             " bytes, over the limit of " + std::to_string(kMaxQueueNameBytes));
        for (auto f = q.begin(); f != q.end(); ++f) {
          std::string k = f->first.Scalar();
          if (k == "sla_seconds") {
            r.Int(f->second, "queues." + qc.name + ".sla_seconds", &qc.sla_seconds, 0, 365 * 86400);
          } else if (k == "retention_days") {
            r.Int(f->second, "queues." + qc.name + ".retention_days", &qc.retention_days, 0, 100 * 366);
          } else if (k == "max_open_per_agent") {
            r.Int(f->second, "queues." + qc.name + ".max_open_per_agent", &qc.max_open_per_agent, 0, 100000);
          } else if (k == "assignment") {
            r.String(f->second, "queues." + qc.name + ".assignment", &qc.assignment);
            if (qc.assignment != "pull" && qc.assignment != "round_robin" && qc.assignment != "capacity")
              r.errors.push_back(r.Where(f->second, "queues." + qc.name + ".assignment") +
                                 "must be pull, round_robin or capacity");
          } else if (k == "business_hours") {
            std::string spec;
            r.String(f->second, "queues." + qc.name + ".business_hours", &spec);
            Status bs = BusinessHours::Parse(spec, &qc.business_hours);
            if (!bs.ok()) r.errors.push_back(r.Where(f->second, "queues." + qc.name + ".business_hours") + bs.message());
          } else if (k != "name") {
            r.errors.push_back(r.Where(f->first, "queues." + qc.name) + "unknown key '" + k + "'");
          }
        }
        // Agents claim from a pull queue as much as they like: a cap on
        // their open conversations there would be silently ignored.
        if (qc.assignment == "pull" && qc.max_open_per_agent > 0)
          r.errors.push_back(r.Where(q["max_open_per_agent"], "queues." + qc.name + ".max_open_per_agent") +
                             "applies to round_robin and capacity queues; '" + qc.name + "' is a pull queue");
        c->queues.push_back(qc);
      }
    } else if (key == "kafka") {
      if (!v.IsMap()) {
        r.errors.push_back(r.Where(v, key) + "must be a mapping");
        continue;
      }
      KafkaOptions& k = c->kafka;
      for (auto f = v.begin(); f != v.end(); ++f) {
        std::string name = f->first.Scalar(), field = "kafka." + name;
        YAML::Node fv = f->second;  // a copy: the iterator's pair is a temporary
        if (name == "brokers") r.String(fv, field, &k.brokers);
        else if (name == "group") r.String(fv, field, &k.group);
        else if (name == "prefix") r.String(fv, field, &k.prefix);
        else if (name == "format") r.String(fv, field, &k.format);
        else if (name == "batch_messages") r.Int(fv, field, &k.batch_messages, 1, 1000000);
        else if (name == "batch_wait_ms") r.Int(fv, field, &k.batch_wait_ms, 1, 60000);
        else if (name == "ack_timeout_ms") r.Int(fv, field, &k.ack_timeout_ms, 100, 3600000);
        else if (name == "in_flight_batches") r.Int(fv, field, &k.in_flight_batches, 1, 64);
        else if (name == "detector") r.Bool(fv, field, &k.detector);
        else if (name == "topics") {
          k.topics.clear();
          if (!fv.IsSequence() || fv.size() == 0) r.errors.push_back(r.Where(fv, field) + "must be a list of topic names");
          else
            for (const auto& t : fv) {
              std::string topic;
              r.String(t, field, &topic);
              if (!topic.empty()) k.topics.push_back(topic);
            }
        } else if (name == "librdkafka") {
          if (!fv.IsMap()) r.errors.push_back(r.Where(fv, field) + "must be a mapping of librdkafka options");
          else
            for (auto o = fv.begin(); o != fv.end(); ++o) {
              std::string value;
              r.String(o->second, field + "." + o->first.Scalar(), &value);
              k.librdkafka[o->first.Scalar()] = value;
            }
        } else {
          r.errors.push_back(r.Where(f->first, field) + "unknown option");
        }
      }
      if (ArchiveFormat::Parse(k.format) == std::nullopt)
        r.errors.push_back(r.Where(v, "kafka.format") + "must be archive, auto, meta, x, slack, telegram, mastodon or reddit");
    } else if (key == "maturity") {
      // Read below by MaturityConfig::LoadFile.
    } else if (key == "auth" || key == "tls" || key == "audit_log") {
      // Read below by LoadSecurityConfig.
    } else if (key == "outbound") {
      // Read below by ReadOutboundConfig.
    } else {
      r.errors.push_back(r.Where(it->first, key) + "unknown option");
    }
  }
  // Each valid on its own, together a contradiction: every claim without
  // lease_seconds would be refused.
  if (c->default_lease_seconds > c->max_lease_seconds) {
    auto said = [](const std::optional<YAML::Node>& at, int64_t value) {
      return std::to_string(value) + (at ? " (line " + std::to_string(at->Mark().line + 1) + ")" : " (the default)");
    };
    const YAML::Node& where = default_lease_at ? *default_lease_at : max_lease_at ? *max_lease_at : root;
    r.errors.push_back(r.Where(where, "default_lease_seconds") +
                       said(default_lease_at, c->default_lease_seconds) + " is greater than max_lease_seconds " +
                       said(max_lease_at, c->max_lease_seconds) + "; the default lease must be allowed");
  }
  if (r.errors.empty()) {
    c->config_path = path;
    if (Status s = ReadSecurityConfig(root, path, &c->security); !s.ok()) return s;
    if (Status s = ReadOutboundConfig(root, path, &c->outbound); !s.ok()) return s;
    return MaturityConfig::LoadFile(path, &c->maturity);
  }
  std::string msg;
  for (auto& e : r.errors) msg += e + "\n";
  msg.pop_back();
  return Status::InvalidArgument(msg);
}

MetricsOptions ServerConfig::MetricsOptionsFor(int64_t now_ms) const {
  MetricsOptions o;
  o.now_ms = now_ms;
  for (const QueueConfig& q : queues) o.queues[q.name] = QueueTargets{q.sla_seconds * 1000, q.business_hours};
  return o;
}

}  // namespace triage
