#include <catch2/catch.hpp>

#include "cli/commands.h"
#include "engine/classifier.h"
#include "engine/rule_pack.h"
#include "test_util.h"

using namespace triage;

static std::string Errors(const std::string& yaml) {
  RulePack pack;
  Status s = RulePack::LoadFromString(yaml, "pack.yaml", &pack);
  return s.ok() ? "" : s.message();
}

TEST_CASE("A well-formed pack loads with every field", "[rules]") {
  RulePack pack;
  Status s = RulePack::LoadFromString(R"(
pack: {name: demo, threshold: 2.5}
rules:
  - id: refund
    label: support
    weight: 3
    priority: high
    description: money back
    any: [refund, "money back", reembolso*, "/order [0-9]+/"]
    all: [please]
    unless: [no refund]
    when: {lang: [en, es], channel: x, kind: public, min_followers: 10, verified: true}
routes:
  - id: r1
    when: {label: [support, lead], priority: high}
    queue: vip
    priority: urgent
)", "demo.yaml", &pack);
  REQUIRE(s.ok());
  CHECK(pack.settings().name == "demo");
  CHECK(pack.settings().threshold == 2.5);
  REQUIRE(pack.rules().size() == 1);
  const Rule& r = pack.rules()[0];
  CHECK(r.id == "refund");
  CHECK(r.label == Label::kSupport);
  CHECK(r.weight == 3);
  CHECK(r.priority == Priority::kHigh);
  REQUIRE(r.any.size() == 4);
  CHECK(r.any[0].kind == PatternKind::kWord);
  CHECK(r.any[0].expression == "\\x20refund\\x20");
  CHECK(r.any[1].expression == "\\x20money\\x20back\\x20");
  CHECK(r.any[2].kind == PatternKind::kPrefix);
  CHECK(r.any[2].expression == "\\x20reembolso");
  CHECK(r.any[3].kind == PatternKind::kRegex);
  CHECK(r.any[3].expression == "order [0-9]+");
  CHECK(r.all.size() == 1);
  CHECK(r.unless.size() == 1);
  CHECK(r.when.langs == std::vector<std::string>{"en", "es"});
  CHECK(r.when.channels == std::vector<std::string>{"x"});
  CHECK(r.when.kind == Kind::kPublic);
  CHECK(r.when.min_followers == 10);
  CHECK(r.when.verified == true);
  CHECK(r.where.file == "demo.yaml");
  CHECK(r.where.line == 4);
  REQUIRE(pack.routes().size() == 1);
  CHECK(pack.routes()[0].queue == "vip");
  CHECK(pack.routes()[0].priority == Priority::kUrgent);
  CHECK(pack.routes()[0].when.labels == ((1u << 1) | (1u << 0)));
}

TEST_CASE("Rule pack errors name the file, the line and the rule", "[rules]") {
  SECTION("YAML syntax error") {
    CHECK_THAT(Errors("rules:\n  - id: a\n    any: [unclosed\n"), Catch::StartsWith("pack.yaml:"));
    CHECK_THAT(Errors("rules:\n  - id: a\n    any: [unclosed\n"), Catch::Contains("YAML syntax error"));
  }
  SECTION("unknown top-level key") {
    CHECK(Errors("rulez: []\n") == "pack.yaml:1: unknown top-level key 'rulez' (expected pack, rules, routes, detector)");
  }
  SECTION("misspelled rule key") {
    CHECK_THAT(Errors("rules:\n  - id: a\n    label: lead\n    wieght: 2\n    any: [x]\n"),
               Catch::Equals("pack.yaml:4: rule 'a': unknown key 'wieght' (expected id, label, weight, any, all, "
                             "unless, when, priority, force, model, description)"));
  }
  SECTION("missing id") {
    CHECK(Errors("rules:\n  - label: lead\n    any: [x]\n") == "pack.yaml:2: rule: missing 'id'");
  }
  SECTION("missing and unknown label") {
    CHECK(Errors("rules:\n  - id: a\n    any: [x]\n") == "pack.yaml:2: rule 'a': missing 'label'");
    CHECK_THAT(Errors("rules:\n  - id: a\n    label: sales\n    any: [x]\n"),
               Catch::StartsWith("pack.yaml:3: rule 'a': unknown label 'sales'"));
  }
  SECTION("weight that is not a number") {
    CHECK(Errors("rules:\n  - id: a\n    label: lead\n    weight: heavy\n    any: [x]\n") ==
          "pack.yaml:4: rule 'a': 'weight' must be a number, got 'heavy'");
  }
  SECTION("a rule with no patterns") {
    CHECK(Errors("rules:\n  - id: a\n    label: lead\n") ==
          "pack.yaml:2: rule 'a': needs at least one pattern in 'any' or 'all', or a 'model' condition");
  }
  SECTION("a pattern with nothing to match") {
    CHECK(Errors("rules:\n  - id: a\n    label: lead\n    any: [\"?!\"]\n") ==
          "pack.yaml:4: rule 'a': pattern '?!' has no letters or digits to match");
  }
  SECTION("bad conditions") {
    CHECK_THAT(Errors("rules:\n  - id: a\n    label: lead\n    any: [x]\n    when: {kind: secret}\n"),
               Catch::Equals("pack.yaml:5: rule 'a': 'kind' must be public or private"));
    CHECK_THAT(Errors("rules:\n  - id: a\n    label: lead\n    any: [x]\n    when: {language: en}\n"),
               Catch::StartsWith("pack.yaml:5: rule 'a': unknown condition 'language'"));
    CHECK_THAT(Errors("rules:\n  - id: a\n    label: lead\n    any: [x]\n    when: {label: lead}\n"),
               Catch::StartsWith("pack.yaml:5: rule 'a': unknown condition 'label'"));
    CHECK(Errors("rules:\n  - id: a\n    label: lead\n    any: [x]\n    when: {min_followers: -3}\n") ==
          "pack.yaml:5: rule 'a': 'min_followers' must not be negative");
  }
  SECTION("duplicate ids point at both definitions") {
    CHECK(Errors("rules:\n  - id: a\n    label: lead\n    any: [x]\n  - id: a\n    label: lead\n    any: [y]\n") ==
          "pack.yaml:5: rule 'a': duplicate id (first defined at pack.yaml:2)");
  }
  SECTION("route errors") {
    CHECK(Errors("routes:\n  - id: r\n    when: {label: lead}\n") == "pack.yaml:2: route 'r': missing 'queue'");
    CHECK_THAT(Errors("routes:\n  - id: r\n    when: {label: spam}\n    queue: q\n"),
               Catch::StartsWith("pack.yaml:3: route 'r': unknown label 'spam'"));
    CHECK_THAT(Errors("routes:\n  - id: r\n    queue: q\n    priority: asap\n"),
               Catch::StartsWith("pack.yaml:4: route 'r': unknown priority"));
  }
  SECTION("threshold must be positive") {
    CHECK(Errors("pack: {threshold: 0}\n") == "pack.yaml:1: pack: 'threshold' must be greater than 0");
  }
  SECTION("every error is reported, not only the first") {
    std::string e = Errors("rules:\n  - id: a\n    label: x\n    any: [y]\n  - id: b\n    label: lead\n    bogus: 1\n"
                           "    any: [z]\n");
    CHECK_THAT(e, Catch::Contains("pack.yaml:3: rule 'a': unknown label 'x'"));
    CHECK_THAT(e, Catch::Contains("pack.yaml:7: rule 'b': unknown key 'bogus'"));
  }
}

TEST_CASE("A regex Hyperscan rejects is an error naming the rule, not a crash", "[rules]") {
  RulePack pack;
  REQUIRE(RulePack::LoadFromString("rules:\n  - id: ok\n    label: lead\n    any: [buy]\n"
                                   "  - id: broken\n    label: lead\n    any: [\"/(unclosed/\"]\n"
                                   "  - id: lookbehind\n    label: lead\n    any: [\"/(?<=a)b/\"]\n",
                                   "bad.yaml", &pack)
              .ok());
  std::unique_ptr<Classifier> c;
  Status s = Classifier::Create(std::move(pack), PatternDatabaseOptions{}, &c);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:7: rule 'broken': pattern '/(unclosed/': Hyperscan: "));
  CHECK_THAT(s.message(), Catch::Contains("bad.yaml:10: rule 'lookbehind': pattern '/(?<=a)b/': Hyperscan: "));
}

TEST_CASE("A regex that matches the empty string is rejected", "[rules]") {
  RulePack pack;
  REQUIRE(RulePack::LoadFromString("rules:\n  - id: e\n    label: lead\n    any: [\"/a*/\"]\n", "e.yaml", &pack).ok());
  std::unique_ptr<Classifier> c;
  Status s = Classifier::Create(std::move(pack), PatternDatabaseOptions{}, &c);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("e.yaml:4: rule 'e'"));
  CHECK_THAT(s.message(), Catch::Contains("empty string"));
}

TEST_CASE("A pack directory is read in file-name order - a bad path is a clear error", "[rules]") {
  test::TempDir dir;
  dir.Write("b.yaml", "rules:\n  - id: second\n    label: lead\n    any: [b]\n");
  dir.Write("a.yaml", "rules:\n  - id: first\n    label: lead\n    any: [a]\n");
  dir.Write("notes.txt", "not yaml: [");
  RulePack pack;
  REQUIRE(RulePack::Load(dir.path(), &pack).ok());
  REQUIRE(pack.rules().size() == 2);
  CHECK(pack.rules()[0].id == "first");
  CHECK(pack.rules()[1].id == "second");
  CHECK(pack.rules()[1].where.file == dir.path() + "/b.yaml");

  Status s = RulePack::Load(dir.path() + "/missing", &pack);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::EndsWith("no such rule pack (file or directory)"));
}

TEST_CASE("The bundled default pack compiles", "[rules]") {
  RulePack pack;
  Status s = RulePack::Load(TRIAGE_RULES_DIR, &pack);
  REQUIRE(s.ok());
  CHECK(pack.rules().size() >= 15);
  std::unique_ptr<Classifier> c;
  s = Classifier::Create(std::move(pack), PatternDatabaseOptions{}, &c);
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(c->num_patterns() > 500);
}

TEST_CASE("A when condition whose values are not strings is an error naming file, line, rule and key", "[rules]") {
  // `lang: 5` would otherwise become the language "5" and never match.
  std::string e = Errors("rules:\n  - id: w\n    label: lead\n    any: [y]\n    when: {lang: 5, channel: [x, 7]}\n");
  CHECK(e ==
        "pack.yaml:5: rule 'w': 'lang' values must be strings, got 5 (quote it if it is meant as text: \"5\")\n"
        "pack.yaml:5: rule 'w': 'channel' entries must be strings, got 7 (quote it if it is meant as text: \"7\")");
  CHECK(Errors("rules:\n  - id: w\n    label: lead\n    any: [y]\n    when:\n      brand: [Acme, true]\n") ==
        "pack.yaml:6: rule 'w': 'brand' entries must be strings, got true (quote it if it is meant as text: \"true\")");
  CHECK(Errors("rules:\n  - id: w\n    label: lead\n    any: [y]\n    when: {lang: [en, 1.5]}\n") ==
        "pack.yaml:5: rule 'w': 'lang' entries must be strings, got 1.5 (quote it if it is meant as text: \"1.5\")");
  CHECK_THAT(Errors("routes:\n  - id: r\n    when: {channel: 7}\n    queue: q\n"),
             Catch::StartsWith("pack.yaml:3: route 'r': 'channel' values must be strings, got 7"));
  // Quoted numbers are strings; words YAML 1.1 read as booleans are text
  // ("no" is Norwegian).
  RulePack pack;
  REQUIRE(RulePack::LoadFromString("rules:\n  - id: w\n    label: lead\n    any: [y]\n"
                                   "    when: {lang: [\"5\", no, on], brand: '7', channel: x}\n",
                                   "pack.yaml", &pack)
              .ok());
  CHECK(pack.rules()[0].when.langs == std::vector<std::string>{"5", "no", "on"});
  CHECK(pack.rules()[0].when.brands == std::vector<std::string>{"7"});
}

TEST_CASE("An empty rule file is an error naming the file", "[rules]") {
  test::TempDir dir;
  std::string empty = dir.Write("empty.yaml", "");
  RulePack pack;
  Status s = RulePack::Load(empty, &pack);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() == empty + ": the rule file is empty: a pack needs rules (top-level keys pack, rules, routes, detector)");
  std::string comments = dir.Write("comments.yaml", "# nothing yet\n\n");
  s = RulePack::Load(comments, &pack);
  CHECK_THAT(s.message(), Catch::StartsWith(comments + ": the rule file is empty"));

  // In a directory an empty file beside real ones is fine; all empty is not.
  test::TempDir packdir;
  packdir.Write("a.yaml", "");
  packdir.Write("b.yaml", "# later\n");
  s = RulePack::Load(packdir.path(), &pack);
  CHECK(s.message() == packdir.path() + ": every rule file is empty (" + packdir.path() + "/a.yaml, " + packdir.path() +
                           "/b.yaml): a pack needs rules");
  packdir.Write("c.yaml", "rules:\n  - id: r\n    label: lead\n    any: [buy]\n");
  CHECK(RulePack::Load(packdir.path(), &pack).ok());

  // A file with settings but no patterns: the compile error names it.
  std::string settings = dir.Write("settings.yaml", "pack: {name: x}\n");
  REQUIRE(RulePack::Load(settings, &pack).ok());
  std::unique_ptr<Classifier> c;
  s = Classifier::Create(std::move(pack), PatternDatabaseOptions{}, &c);
  CHECK(s.message() == settings + ": the rule pack has no patterns: no rule has 'any' or 'all'");

  // And `triage rules check` says the same.
  RulesCheckOptions o;
  o.common.rules = empty;
  o.common.no_cache = true;
  test::CommandRun r = test::RunCommand(o, &RunRulesCheck);
  CHECK(r.rc == kExitError);
  CHECK(r.err == empty + ": the rule file is empty: a pack needs rules (top-level keys pack, rules, routes, detector)\n");
}

TEST_CASE("rules check reports structural and Hyperscan errors together, in file order", "[rules]") {
  test::TempDir dir;
  const std::string a = dir.Write("a.yaml",
                                  "rules:\n"
                                  "  - id: broken\n"          // 2
                                  "    label: lead\n"
                                  "    any: [\"/(x/\"]\n"     // 4: Hyperscan
                                  "  - id: typo\n"
                                  "    label: sales\n"        // 6: structural
                                  "    any: [z]\n");
  const std::string b = dir.Write("b.yaml",
                                  "rules:\n"
                                  "  - id: lookbehind\n"
                                  "    label: lead\n"
                                  "    any: [\"/(?<=a)b/\"]\n"  // 4: Hyperscan
                                  "    when: {lang: 5}\n");    // 5: structural
  RulesCheckOptions o;
  o.common.rules = dir.path();
  o.common.no_cache = true;
  test::CommandRun r = test::RunCommand(o, &RunRulesCheck);
  INFO(r.err);
  CHECK(r.rc == kExitError);
  CHECK(r.out.empty());
  std::vector<std::string> lines;
  std::istringstream in(r.err);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[0], Catch::StartsWith(a + ":4: rule 'broken': pattern '/(x/': Hyperscan: "));
  CHECK_THAT(lines[1], Catch::StartsWith(a + ":6: rule 'typo': unknown label 'sales'"));
  CHECK_THAT(lines[2], Catch::StartsWith(b + ":4: rule 'lookbehind': pattern '/(?<=a)b/': Hyperscan: "));
  CHECK_THAT(lines[3], Catch::StartsWith(b + ":5: rule 'lookbehind': 'lang' values must be strings, got 5"));
}
