// Where the tone lexicon is found for a rule pack (SentimentLexicon::PathFor):
// the installed layout and the repository keep rules/<pack> and
// rules/lexicon side by side; a pack kept anywhere else (an operator's
// /etc/triage/rules) falls back to the bundled lexicon.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "engine/detector/sentiment.h"
#include "engine/pipeline.h"
#include "test_util.h"

using namespace triage;

namespace {

// Unsets TRIAGE_LEXICON for the test's duration, restoring it after.
class NoLexiconEnv {
 public:
  NoLexiconEnv() {
    if (const char* v = std::getenv("TRIAGE_LEXICON")) saved_ = v, had_ = true;
    unsetenv("TRIAGE_LEXICON");
  }
  ~NoLexiconEnv() {
    if (had_) setenv("TRIAGE_LEXICON", saved_.c_str(), 1);
    else unsetenv("TRIAGE_LEXICON");
  }

 private:
  std::string saved_;
  bool had_ = false;
};

std::string Canonical(const std::string& p) { return std::filesystem::weakly_canonical(p).string(); }

}  // namespace

TEST_CASE("The lexicon beside a pack's directory is preferred, else the bundled one", "[lexicon]") {
  NoLexiconEnv env;
  test::TempDir dir;
  const std::string bundled = Canonical(Pipeline::BundledRulesPath() + "/../lexicon/vader_valence.tsv");
  REQUIRE(std::filesystem::is_regular_file(bundled));

  // A pack with its own lexicon beside it, given as a directory or as one file.
  dir.Write("rules/mine/a.yaml", "rules: []\n");
  const std::string own = dir.Write("rules/lexicon/vader_valence.tsv", "good\t2\n");
  CHECK(SentimentLexicon::PathFor(dir.path() + "/rules/mine") == Canonical(own));
  CHECK(SentimentLexicon::PathFor(dir.path() + "/rules/mine/") == Canonical(own));
  CHECK(SentimentLexicon::PathFor(dir.path() + "/rules/mine/a.yaml") == Canonical(own));

  // A pack kept where no lexicon is beside it (/etc/triage/rules): the bundled one.
  dir.Write("etc/triage/rules/a.yaml", "rules: []\n");
  CHECK(SentimentLexicon::PathFor(dir.path() + "/etc/triage/rules") == bundled);
  SentimentLexicon lex;
  CHECK(SentimentLexicon::Load(SentimentLexicon::PathFor(dir.path() + "/etc/triage/rules"), &lex).ok());
  CHECK(lex.size() > 1000);

  // $TRIAGE_LEXICON names it outright.
  setenv("TRIAGE_LEXICON", own.c_str(), 1);
  CHECK(SentimentLexicon::PathFor(dir.path() + "/etc/triage/rules") == own);
}
