#include "runtime/outbound/outbound_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>

namespace triage {

namespace {

const std::set<std::string> kTypes = {"webhook", "slack", "teams", "zendesk", "chatwoot"};
const std::set<std::string> kAlertChanges = {"opened", "updated", "closed"};

// The settings each type understands, and which of them it needs.
struct TypeSettings {
  std::set<std::string> known;
  std::set<std::string> required;
  bool needs_secret;
};
TypeSettings SettingsOf(const std::string& type) {
  if (type == "webhook") return {{}, {}, true};
  if (type == "slack" || type == "teams") return {{"console_url"}, {}, false};
  if (type == "zendesk") return {{"email", "group_id", "tags"}, {"email"}, true};
  return {{"account_id", "team_id", "inbox_id"}, {"account_id"}, true};  // chatwoot
}

bool GoodName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

struct Reader {
  std::string file;
  std::vector<std::string> errors;
  void Error(const YAML::Node& n, const std::string& field, const std::string& what) {
    errors.push_back(file + ":" + std::to_string(n.Mark().line + 1) + ": " + field + ": " + what);
  }
  bool Scalar(const YAML::Node& n, const std::string& field, std::string* out) {
    if (!n.IsScalar()) {
      Error(n, field, "must be a string");
      return false;
    }
    *out = n.Scalar();
    return true;
  }
  template <typename T>
  void Int(const YAML::Node& n, const std::string& field, T* out, int64_t min, int64_t max) {
    try {
      int64_t v = n.as<int64_t>();
      if (v < min || v > max) return Error(n, field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      *out = static_cast<T>(v);
    } catch (const YAML::Exception&) {
      Error(n, field, "must be an integer");
    }
  }
  std::vector<std::string> List(const YAML::Node& n, const std::string& field) {
    std::vector<std::string> out;
    if (!n.IsSequence()) {
      Error(n, field, "must be a list");
      return out;
    }
    for (size_t i = 0; i < n.size(); ++i) {
      std::string v;
      if (Scalar(n[i], field + "[" + std::to_string(i) + "]", &v)) out.push_back(v);
    }
    return out;
  }
};

}  // namespace

bool SinkConfig::operator==(const SinkConfig& o) const {
  return name == o.name && type == o.type && url == o.url && queues == o.queues && priorities == o.priorities &&
         alerts == o.alerts && secret == o.secret && max_attempts == o.max_attempts &&
         concurrency == o.concurrency && timeout_seconds == o.timeout_seconds &&
         backoff_initial_ms == o.backoff_initial_ms && backoff_max_ms == o.backoff_max_ms &&
         tls_verify == o.tls_verify && ca_file == o.ca_file && settings == o.settings;
}

Status ReadOutboundConfig(const YAML::Node& root, const std::string& file, std::vector<SinkConfig>* out) {
  out->clear();
  if (!root || !root.IsMap() || !root["outbound"]) return Status::OK();
  const YAML::Node list = root["outbound"];
  Reader r{file, {}};
  if (!list.IsSequence() && !list.IsNull()) {
    r.Error(list, "outbound", "must be a list of sinks");
  } else {
    std::set<std::string> names;
    for (size_t i = 0; i < list.size(); ++i) {
      const YAML::Node n = list[i];
      const std::string at = "outbound[" + std::to_string(i) + "]";
      if (!n.IsMap()) {
        r.Error(n, at, "must be a mapping (name, type, url, ...)");
        continue;
      }
      SinkConfig s;
      std::optional<YAML::Node> secret_at, url_at, settings_at, ca_at;
      for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string key = it->first.Scalar(), field = at + "." + key;
        const YAML::Node v = it->second;
        if (key == "name") r.Scalar(v, field, &s.name);
        else if (key == "type") r.Scalar(v, field, &s.type);
        else if (key == "url") r.Scalar(v, field, &s.url), url_at = v;
        else if (key == "queues") s.queues = r.List(v, field);
        else if (key == "alerts") {
          s.alerts = r.List(v, field);
          for (const std::string& a : s.alerts)
            if (!kAlertChanges.count(a)) r.Error(v, field, "'" + a + "' is not opened, updated or closed");
        } else if (key == "priorities") {
          for (const std::string& p : r.List(v, field)) {
            std::optional<Priority> pr = ParsePriority(p);
            if (!pr) r.Error(v, field, "'" + p + "' is not urgent, high, normal or low");
            else s.priorities.push_back(*pr);
          }
        } else if (key == "secret") r.Scalar(v, field, &s.secret), secret_at = v;
        else if (key == "secret_env") r.Scalar(v, field, &s.secret_env), secret_at = v;
        else if (key == "max_attempts") r.Int(v, field, &s.max_attempts, 1, 1000);
        else if (key == "concurrency") r.Int(v, field, &s.concurrency, 1, 64);
        else if (key == "timeout_seconds") r.Int(v, field, &s.timeout_seconds, 1, 600);
        else if (key == "backoff_initial_ms") r.Int(v, field, &s.backoff_initial_ms, 1, 3'600'000);
        else if (key == "backoff_max_ms") r.Int(v, field, &s.backoff_max_ms, 1, 86'400'000);
        else if (key == "tls_verify") {
          try {
            s.tls_verify = v.as<bool>();
          } catch (const YAML::Exception&) {
            r.Error(v, field, "must be true or false");
          }
        } else if (key == "ca_file") r.Scalar(v, field, &s.ca_file), ca_at = v;
        else if (key == "settings") {
          settings_at = v;
          if (!v.IsMap()) r.Error(v, field, "must be a mapping of strings");
          else
            for (auto f = v.begin(); f != v.end(); ++f) {
              std::string value;
              if (r.Scalar(f->second, field + "." + f->first.Scalar(), &value)) s.settings[f->first.Scalar()] = value;
            }
        } else r.Error(it->first, field, "unknown option");
      }
      if (!GoodName(s.name)) r.Error(n, at + ".name", "required: 1 to 64 of a-z, 0-9, '_' and '-'");
      else if (!names.insert(s.name).second) r.Error(n, at + ".name", "'" + s.name + "' names two sinks");
      if (!kTypes.count(s.type)) {
        r.Error(n, at + ".type", "must be webhook, slack, teams, zendesk or chatwoot");
        continue;
      }
      if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
        r.Error(url_at ? *url_at : n, at + ".url", "required: an http:// or https:// URL");
      if (s.type == "chatwoot" && !s.alerts.empty())
        r.Error(n, at + ".alerts", "a chatwoot sink takes messages only (alerts have no Chatwoot conversation)");
      if (s.queues.empty() && s.alerts.empty())
        r.Error(n, at, "subscribes to nothing: give queues, alerts or both");
      if (s.backoff_initial_ms > s.backoff_max_ms)
        r.Error(n, at + ".backoff_initial_ms", "is greater than backoff_max_ms");
      if (!s.secret_env.empty()) {
        const char* env = std::getenv(s.secret_env.c_str());
        if (!env || !*env) r.Error(*secret_at, at + ".secret_env", "the environment variable " + s.secret_env + " is not set");
        else s.secret = env;
      }
      // A CA file that cannot be read would fail every delivery at its TLS
      // handshake: say so now, naming it.
      if (!s.ca_file.empty()) {
        if (FILE* f = std::fopen(s.ca_file.c_str(), "r")) std::fclose(f);
        else r.Error(*ca_at, at + ".ca_file", "cannot read '" + s.ca_file + "': " + std::strerror(errno));
        if (!s.tls_verify) r.Error(*ca_at, at + ".ca_file", "is set but tls_verify is false, so it would not be used");
      }
      TypeSettings ts = SettingsOf(s.type);
      if (ts.needs_secret && s.secret.empty() && s.secret_env.empty())
        r.Error(n, at + ".secret", "required for a " + s.type + " sink (or secret_env)");
      for (const auto& [k, v] : s.settings)
        if (!ts.known.count(k)) r.Error(*settings_at, at + ".settings." + k, "unknown for a " + s.type + " sink");
      // Ids that go into a URL or a JSON number as they are.
      for (const char* k : {"account_id", "team_id", "inbox_id", "group_id"})
        if (s.settings.count(k) && (s.Setting(k).empty() || s.Setting(k).size() > 18 ||
                                    s.Setting(k).find_first_not_of("0123456789") != std::string::npos))
          r.Error(*settings_at, at + ".settings." + k, "must be a number (the id in " + s.type + ")");
      for (const std::string& k : ts.required)
        if (s.Setting(k).empty()) r.Error(settings_at ? *settings_at : n, at + ".settings." + k, "required for a " + s.type + " sink");
      out->push_back(std::move(s));
    }
  }
  if (r.errors.empty()) return Status::OK();
  out->clear();
  std::string msg;
  for (auto& e : r.errors) msg += e + "\n";
  msg.pop_back();
  return Status::InvalidArgument(msg);
}

}  // namespace triage
