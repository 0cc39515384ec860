#include "runtime/server/security_config.h"

#include <yaml-cpp/yaml.h>

#include <boost/asio/ip/address.hpp>

#include <set>

namespace triage {

namespace {

std::string Where(const std::string& file, const YAML::Node& n, const std::string& key) {
  return file + ":" + std::to_string(n.Mark().line + 1) + ": " + key + ": ";
}

void ReadToken(const std::string& file, const YAML::Node& t, size_t index, std::set<std::string>* names,
               std::vector<TokenEntry>* out, std::vector<std::string>* errors) {
  const std::string at = "auth[" + std::to_string(index) + "]";
  if (!t.IsMap()) {
    errors->push_back(Where(file, t, at) + "each token is a mapping with name, sha256 and scopes");
    return;
  }
  TokenEntry e;
  bool ok = true;
  auto fail = [&](const YAML::Node& n, const std::string& key, const std::string& why) {
    errors->push_back(Where(file, n, key) + why);
    ok = false;
  };
  for (auto f = t.begin(); f != t.end(); ++f) {
    const std::string k = f->first.Scalar();
    const YAML::Node v = f->second;
    if (k == "name") {
      if (!v.IsScalar() || v.Scalar().empty()) fail(v, at + ".name", "must be a non-empty string");
      else e.name = v.Scalar();
    } else if (k == "sha256") {
      if (!v.IsScalar() || !ParseSha256Hex(v.Scalar(), &e.sha256))
        fail(v, at + ".sha256", "must be the 64 hex digits of the token's SHA-256 (`triage token new` prints it)");
    } else if (k == "scopes") {
      if (!v.IsSequence() || v.size() == 0) {
        fail(v, at + ".scopes", "must be a list of scopes: " + ScopeList());
        continue;
      }
      for (const auto& s : v) {
        auto scope = s.IsScalar() ? ParseScope(s.Scalar()) : std::nullopt;
        if (!scope) fail(s, at + ".scopes", "unknown scope '" + (s.IsScalar() ? s.Scalar() : "?") + "'; use " + ScopeList());
        else e.scopes |= static_cast<Scopes>(*scope);
      }
    } else if (k == "agent") {
      if (!v.IsScalar() || v.Scalar().empty()) fail(v, at + ".agent", "must be a non-empty agent name");
      else e.agent = v.Scalar();
    } else {
      fail(f->first, at + "." + k, "unknown key; a token has name, sha256, scopes and agent");
    }
  }
  if (!t["name"]) fail(t, at, "needs a name");
  if (!t["sha256"]) fail(t, at, "needs sha256");
  if (!t["scopes"]) fail(t, at, "needs scopes");
  const bool agent_scope = e.scopes & static_cast<Scopes>(Scope::kAgent);
  if (agent_scope && e.agent.empty() && t["scopes"])
    fail(t, at + ".agent", "the agent scope needs the agent this token acts as");
  if (!agent_scope && !e.agent.empty()) fail(t["agent"], at + ".agent", "only a token with the agent scope acts as an agent");
  if (!e.name.empty() && !names->insert(e.name).second) fail(t["name"], at + ".name", "'" + e.name + "' is used twice");
  if (ok) out->push_back(std::move(e));
}

}  // namespace

Status LoadConfigYaml(const std::string& path, YAML::Node* root) {
  try {
    *root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::IOError(path + ": cannot read the config file");
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": YAML syntax error: " + e.msg);
  }
  return Status::OK();
}

Status LoadSecurityConfig(const std::string& path, SecurityConfig* out) {
  YAML::Node root;
  if (Status s = LoadConfigYaml(path, &root); !s.ok()) return s;
  return ReadSecurityConfig(root, path, out);
}

Status ReadSecurityConfig(const YAML::Node& root, const std::string& path, SecurityConfig* out) {
  SecurityConfig c;
  std::vector<std::string> errors;
  if (root && root.IsMap()) {
    if (YAML::Node auth = root["auth"]) {
      if (!auth.IsSequence()) {
        errors.push_back(Where(path, auth, "auth") + "must be a list of tokens (name, sha256, scopes, agent)");
      } else {
        std::set<std::string> names;
        for (size_t i = 0; i < auth.size(); ++i) ReadToken(path, auth[i], i, &names, &c.tokens, &errors);
        // Two entries with one digest would make the token's name ambiguous.
        for (size_t i = 0; i < c.tokens.size(); ++i)
          for (size_t j = i + 1; j < c.tokens.size(); ++j)
            if (c.tokens[i].sha256 == c.tokens[j].sha256)
              errors.push_back(Where(path, auth, "auth") + "tokens '" + c.tokens[i].name + "' and '" + c.tokens[j].name +
                               "' have the same sha256");
      }
    }
    if (YAML::Node tls = root["tls"]) {
      if (!tls.IsMap()) {
        errors.push_back(Where(path, tls, "tls") + "must be a mapping with cert and key");
      } else {
        for (auto f = tls.begin(); f != tls.end(); ++f) {
          const std::string k = f->first.Scalar();
          std::string* field = k == "cert" ? &c.tls.cert : k == "key" ? &c.tls.key : nullptr;
          if (!field) errors.push_back(Where(path, f->first, "tls." + k) + "unknown key; tls has cert and key");
          else if (!f->second.IsScalar() || f->second.Scalar().empty())
            errors.push_back(Where(path, f->second, "tls." + k) + "must be a file path");
          else *field = f->second.Scalar();
        }
        if (c.tls.cert.empty() != c.tls.key.empty())
          errors.push_back(Where(path, tls, "tls") + "needs both cert and key");
      }
    }
    if (YAML::Node audit = root["audit_log"]) {
      if (!audit.IsScalar()) errors.push_back(Where(path, audit, "audit_log") + "must be a file path");
      else c.audit_log = audit.Scalar();
    }
  }
  if (!errors.empty()) {
    std::string msg;
    for (auto& e : errors) msg += e + "\n";
    msg.pop_back();
    return Status::InvalidArgument(msg);
  }
  *out = std::move(c);
  return Status::OK();
}

bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace triage
