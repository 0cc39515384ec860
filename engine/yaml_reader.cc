#include "engine/yaml_reader.h"

#include <cstdlib>
#include <sstream>

namespace triage {

void YamlReader::Error(const YAML::Node& n, const std::string& what, const std::string& msg) {
  errors_->push_back(file_ + ":" + std::to_string(Line(n)) + ": " + (what.empty() ? "" : what + ": ") + msg);
}

bool YamlReader::StringList(const YAML::Node& n, const std::string& what, const std::string& key,
                            std::vector<std::string>* out) {
  if (n.IsScalar()) {
    out->push_back(n.Scalar());
    return true;
  }
  if (n.IsSequence()) {
    for (const auto& e : n) {
      if (!e.IsScalar()) {
        Error(e, what, "'" + key + "' entries must be strings");
        return false;
      }
      out->push_back(e.Scalar());
    }
    return true;
  }
  Error(n, what, "'" + key + "' must be a string or a list of strings");
  return false;
}

bool YamlReader::Number(const YAML::Node& n, const std::string& what, const std::string& key, double* out) {
  try {
    if (!n.IsScalar()) throw YAML::BadConversion(n.Mark());
    *out = n.as<double>();
    return true;
  } catch (const YAML::Exception&) {
    Error(n, what, "'" + key + "' must be a number, got '" + (n.IsScalar() ? n.Scalar() : "a collection") + "'");
    return false;
  }
}

bool YamlReader::Bounded(const YAML::Node& n, const std::string& what, const std::string& key, double lo, double hi,
                         double* out) {
  double x;
  if (!Number(n, what, key, &x)) return false;
  if (!(x >= lo && x <= hi)) {
    std::ostringstream m;
    m << "'" << key << "' must be between " << lo << " and " << hi << ", got " << n.Scalar();
    Error(n, what, m.str());
    return false;
  }
  *out = x;
  return true;
}

bool YamlReader::Bool(const YAML::Node& n, const std::string& what, const std::string& key, bool* out) {
  std::string b = n.IsScalar() ? n.Scalar() : "";
  if (b == "true") *out = true;
  else if (b == "false") *out = false;
  else {
    Error(n, what, "'" + key + "' must be true or false");
    return false;
  }
  return true;
}

bool YamlReader::Duration(const YAML::Node& n, const std::string& what, const std::string& key, int64_t* ms) {
  std::string v = n.IsScalar() ? n.Scalar() : "";
  double unit = 1000;
  if (!v.empty()) {
    switch (v.back()) {
      case 's': unit = 1000; v.pop_back(); break;
      case 'm': unit = 60'000; v.pop_back(); break;
      case 'h': unit = 3'600'000; v.pop_back(); break;
      case 'd': unit = 86'400'000; v.pop_back(); break;
      default: break;
    }
  }
  char* end = nullptr;
  double x = v.empty() ? 0 : std::strtod(v.c_str(), &end);
  if (v.empty() || end != v.c_str() + v.size() || !(x > 0) || x * unit > 3.65e12) {
    Error(n, what, "'" + key + "' must be a positive duration such as 90s, 10m, 6h or 1d, got '" +
                       (n.IsScalar() ? n.Scalar() : "a collection") + "'");
    return false;
  }
  *ms = static_cast<int64_t>(x * unit);
  return true;
}

}  // namespace triage
