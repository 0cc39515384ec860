// YamlReader: the field readers every YAML file of a rule pack shares. Each
// error it records names the file and line ("lead.yaml:12: rule 'x': ...");
// reading goes on, so an author sees every error of a file at once.
#ifndef TRIAGE_ENGINE_YAML_READER_H_
#define TRIAGE_ENGINE_YAML_READER_H_

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>
#include <vector>

namespace triage {

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<std::string>* errors) : file_(std::move(file)), errors_(errors) {}

  const std::string& file() const { return file_; }
  int Line(const YAML::Node& n) const { return n.Mark().line + 1; }

  // "file:line: what: msg" (what may be empty).
  void Error(const YAML::Node& n, const std::string& what, const std::string& msg);

  // A scalar or a list of scalars, as strings.
  bool StringList(const YAML::Node& n, const std::string& what, const std::string& key, std::vector<std::string>* out);
  bool Number(const YAML::Node& n, const std::string& what, const std::string& key, double* out);
  // A number in [lo, hi].
  bool Bounded(const YAML::Node& n, const std::string& what, const std::string& key, double lo, double hi, double* out);
  bool Bool(const YAML::Node& n, const std::string& what, const std::string& key, bool* out);
  // A positive duration: seconds, or a number with s, m, h or d ("90s", "6h").
  bool Duration(const YAML::Node& n, const std::string& what, const std::string& key, int64_t* ms);

 private:
  std::string file_;
  std::vector<std::string>* errors_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_YAML_READER_H_
