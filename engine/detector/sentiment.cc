#include "engine/detector/sentiment.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/pipeline.h"
#include "engine/text_normalizer.h"

namespace triage {

Status SentimentLexicon::Load(const std::string& path, SentimentLexicon* out) {
  std::ifstream in(path);
  if (!in) return Status::IOError(path + ": cannot read the sentiment lexicon");
  TextNormalizer norm;
  std::string line, token;
  int n = 0;
  out->valence_.clear();
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == std::string::npos) return Status::InvalidArgument(path + ":" + std::to_string(n) + ": expected token<TAB>valence");
    char* end = nullptr;
    std::string num = line.substr(tab + 1);
    double v = std::strtod(num.c_str(), &end);
    if (end == num.c_str() || !std::isfinite(v))
      return Status::InvalidArgument(path + ":" + std::to_string(n) + ": bad valence '" + num + "'");
    norm.Normalize(line.substr(0, tab), &token);
    // Only single words: emoticons normalize to nothing, phrases to several words.
    if (token.size() < 3 || token.find(' ', 1) != token.size() - 1) continue;
    out->valence_.emplace(token.substr(1, token.size() - 2), v);
  }
  return Status::OK();
}

namespace {

// lexicon/vader_valence.tsv in the parent of the pack's directory, with
// symbolic links and ".." resolved (the path is logged and named in errors).
std::string BesidePack(const std::string& rules_path) {
  std::filesystem::path pack(rules_path);
  std::error_code ec;
  if (!std::filesystem::is_directory(pack, ec)) pack = pack.parent_path();
  if (pack.empty()) pack = ".";
  std::filesystem::path lexicon = pack / ".." / "lexicon" / "vader_valence.tsv";
  std::filesystem::path resolved = std::filesystem::weakly_canonical(lexicon, ec);
  return ec ? lexicon.string() : resolved.string();
}

}  // namespace

std::string SentimentLexicon::PathFor(const std::string& rules_path) {
  if (const char* env = std::getenv("TRIAGE_LEXICON"); env && *env) return env;
  std::string beside = BesidePack(rules_path);
  std::error_code ec;
  if (std::filesystem::is_regular_file(beside, ec)) return beside;
  return BesidePack(Pipeline::BundledRulesPath());
}

std::string SentimentLexicon::DefaultPath() { return PathFor(Pipeline::DefaultRulesPath()); }

double SentimentLexicon::Compound(std::string_view normalized) const {
  static const std::string_view kNegations[] = {"not", "no", "never", "dont", "don", "isn", "wasn", "cant", "can", "won",
                                                "nothing", "nobody", "nunca", "nao", "pas", "nicht", "kein"};
  double sum = 0;
  bool negated = false;
  size_t i = 0;
  while (i < normalized.size()) {
    while (i < normalized.size() && normalized[i] == ' ') ++i;
    size_t j = normalized.find(' ', i);
    if (j == std::string_view::npos) j = normalized.size();
    if (j > i) {
      std::string_view word = normalized.substr(i, j - i);
      auto it = valence_.find(std::string(word));
      if (it != valence_.end()) sum += negated ? -0.74 * it->second : it->second;
      negated = false;
      for (auto n : kNegations)
        if (word == n) negated = true;
    }
    i = j;
  }
  return sum / std::sqrt(sum * sum + 15.0);
}

}  // namespace triage
