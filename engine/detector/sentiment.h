// SentimentLexicon: the tone of a message from a valence lexicon (VADER's,
// rules/lexicon/). Tokens are normalized with TextNormalizer at load time, so
// they match the engine's normalized text in the same way rule words do.
//
// Score: the sum of the valences of the words (a word right after a negation
// counts with its sign flipped and damped, as in VADER), squashed to -1..1 by
// x / sqrt(x^2 + 15), VADER's "compound" normalization.
#ifndef TRIAGE_ENGINE_DETECTOR_SENTIMENT_H_
#define TRIAGE_ENGINE_DETECTOR_SENTIMENT_H_

#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"

namespace triage {

class SentimentLexicon {
 public:
  // "token<TAB>valence" lines; errors name the file and line.
  static Status Load(const std::string& path, SentimentLexicon* out);
  // The lexicon to use with the pack at `rules_path` (a directory or a file):
  // $TRIAGE_LEXICON if set; else lexicon/vader_valence.tsv beside the pack's
  // directory, if it is there (the repository and the installed layout both
  // keep rules/<pack> and rules/lexicon side by side); else the one beside the
  // bundled pack (Pipeline::BundledRulesPath()), so that a pack copied
  // anywhere, such as /etc/triage/rules, still finds the bundled lexicon.
  static std::string PathFor(const std::string& rules_path);
  // PathFor(Pipeline::DefaultRulesPath()).
  static std::string DefaultPath();

  // `normalized`: TextNormalizer output (words separated by single spaces).
  double Compound(std::string_view normalized) const;
  size_t size() const { return valence_.size(); }

 private:
  std::unordered_map<std::string, double> valence_;
};

}  // namespace triage

#endif  // TRIAGE_ENGINE_DETECTOR_SENTIMENT_H_
