#include <catch2/catch.hpp>

#include "engine/pipeline.h"
#include "test_util.h"

using namespace triage;

namespace {

// Classifies text with a pipeline; returns the verdict (fired rule ids joined).
struct Probe {
  std::unique_ptr<Pipeline> p;
  std::unique_ptr<ClassifierScratch> scratch;
  Decision d;

  explicit Probe(const std::string& yaml) : p(test::PipelineFromYaml(yaml)) { REQUIRE(p->NewScratch(&scratch).ok()); }

  const Decision& Run(Message m) {
    REQUIRE(p->Decide(m, scratch.get(), &d).ok());
    return d;
  }
  const Decision& Run(const std::string& text, const std::string& lang = "en") {
    Message m;
    m.id = "t:1";
    m.channel = "x";
    m.text = text;
    m.lang = lang;
    return Run(m);
  }
  std::string Fired(const std::string& text, const std::string& lang = "en") {
    Run(text, lang);
    std::string out;
    for (uint32_t r : d.verdict.fired) out += (out.empty() ? "" : ",") + p->pack().rules()[r].id;
    return out;
  }
};

}  // namespace

TEST_CASE("Words match whole words only - a trailing * matches a prefix", "[classifier]") {
  Probe probe(R"(
rules:
  - {id: word, label: support, weight: 3, any: [refund]}
  - {id: prefix, label: support, weight: 3, any: [cancel*]}
  - {id: phrase, label: support, weight: 3, any: ["money back"]}
)");
  CHECK(probe.Fired("I want a REFUND!") == "word");
  CHECK(probe.Fired("refunded already") == "");
  CHECK(probe.Fired("nonrefund policy") == "");
  CHECK(probe.Fired("cancelled it, cancellation") == "prefix");
  CHECK(probe.Fired("uncancel") == "");
  CHECK(probe.Fired("give me my money... back") == "phrase");
  CHECK(probe.Fired("moneyback") == "");
}

TEST_CASE("Matching is caseless and boundary-aware in every script", "[classifier][unicode]") {
  Probe probe(R"(
rules:
  - {id: es, label: support, weight: 3, any: [devolución, "no funciona"]}
  - {id: ar, label: support, weight: 3, any: [مشكلة]}
  - {id: hi, label: support, weight: 3, any: ["काम नहीं"]}
  - {id: hinglish, label: support, weight: 3, any: ["kaam nahi"]}
  - {id: ur, label: support, weight: 3, any: [مسئلہ]}
  - {id: bn, label: support, weight: 3, any: [সমস্যা]}
  - {id: tr, label: support, weight: 3, any: [iade]}
  - {id: de, label: support, weight: 3, any: [straße]}
)");
  CHECK(probe.Fired("¡La app NO FUNCIONA desde ayer!", "es") == "es");
  CHECK(probe.Fired("quiero la devolucion", "es") == "es");       // accent typed or not
  CHECK(probe.Fired("DEVOLUCIÓN por favor", "es") == "es");
  CHECK(probe.Fired("عندي مشكلة في الطلب", "ar") == "ar");
  CHECK(probe.Fired("عندي مُشْكِلَة", "ar") == "ar");               // with harakat
  CHECK(probe.Fired("عندي مشكلتين", "ar") == "");                  // another word
  CHECK(probe.Fired("ऐप काम नहीं कर रहा", "hi") == "hi");
  CHECK(probe.Fired("ऐप काम नहींकर", "hi") == "");                 // glued word is not the word
  CHECK(probe.Fired("app KAAM NAHI kar raha yaar", "hi") == "hinglish");
  CHECK(probe.Fired("مجھے ایک مسئلہ ہے", "ur") == "ur");
  CHECK(probe.Fired("অ্যাপে সমস্যা হচ্ছে", "bn") == "bn");
  CHECK(probe.Fired("İADE istiyorum", "tr") == "tr");
  CHECK(probe.Fired("STRASSE", "de") == "de");
}

TEST_CASE("A rule with Arabic spelling matches the Urdu keyboard's letters", "[classifier][unicode]") {
  Probe probe("rules:\n  - {id: ar, label: support, weight: 3, any: [كيف]}\n");
  CHECK(probe.Fired("کیف حالک", "ur") == "ar");
}

TEST_CASE("Regex patterns scan the normalized text", "[classifier]") {
  Probe probe(R"(
rules:
  - {id: order, label: support, weight: 3, any: ["/ order [a-z]{0,3} ?[0-9]{5,} /"]}
)");
  CHECK(probe.Fired("Order HM-40917733 is late") == "order");
  CHECK(probe.Fired("order #4091") == "");
  CHECK(probe.Fired("pedido ٤٠٩١٧٧٣٣", "ar") == "");
  CHECK(probe.Fired("order ٤٠٩١٧٧٣٣", "ar") == "order");  // Arabic-Indic digits fold to ASCII
}

TEST_CASE("all and unless refine a rule", "[classifier]") {
  Probe probe(R"(
rules:
  - id: fire
    label: crisis
    weight: 3
    any: [fire, smoke]
    unless: [is fire, "on fire with"]
  - id: both
    label: lead
    weight: 3
    all: [price, plan]
  - id: mixed
    label: support
    weight: 3
    any: [app]
    all: [crash]
)");
  CHECK(probe.Fired("my charger caught fire") == "fire");
  CHECK(probe.Fired("this playlist is fire") == "");
  CHECK(probe.Fired("price of the plan?") == "both");
  CHECK(probe.Fired("price?") == "");
  CHECK(probe.Fired("crash") == "");
  CHECK(probe.Fired("app crash") == "mixed");
}

TEST_CASE("when-conditions filter on language, channel, kind, reach and brand", "[classifier]") {
  Probe probe(R"(
rules:
  - {id: es_only, label: lead, weight: 3, any: [plan], when: {lang: es}}
  - {id: public_big, label: crisis, weight: 3, any: [plan], when: {kind: public, min_followers: 1000}}
  - {id: verified, label: feedback, weight: 3, any: [plan], when: {verified: true, channel: [x, reddit]}}
  - {id: brand, label: support, weight: 3, any: [plan], when: {brand: Acme}}
)");
  Message m;
  m.id = "t";
  m.channel = "x";
  m.text = "plan";
  m.lang = "es";
  m.kind = Kind::kPrivate;
  m.author.followers = 5000;
  m.author.verified = true;
  m.brand = "Other";
  auto fired = [&](Message msg) {
    const Decision& d = probe.Run(msg);
    std::string out;
    for (uint32_t r : d.verdict.fired) out += (out.empty() ? "" : ",") + probe.p->pack().rules()[r].id;
    return out;
  };
  CHECK(fired(m) == "es_only,verified");
  m.kind = Kind::kPublic;
  CHECK(fired(m) == "es_only,public_big,verified");
  m.author.followers = 999;
  m.lang = "en";
  m.channel = "instagram";
  m.brand = "Acme";
  CHECK(fired(m) == "brand");
}

TEST_CASE("Scores add up per label - the best label must reach the threshold", "[classifier][scoring]") {
  Probe probe(R"(
pack: {threshold: 2}
rules:
  - {id: a, label: support, weight: 1.5, any: [slow]}
  - {id: b, label: support, weight: 1, any: [again]}
  - {id: c, label: feedback, weight: 2, any: [love]}
  - {id: d, label: feedback, weight: -1, any: [not]}
)");
  const Decision& d1 = probe.Run("slow");
  CHECK(d1.verdict.label == Label::kNone);
  CHECK(d1.verdict.scores[static_cast<int>(Label::kSupport)] == 1.5);

  const Decision& d2 = probe.Run("slow again");
  CHECK(d2.verdict.label == Label::kSupport);
  CHECK(d2.verdict.scores[static_cast<int>(Label::kSupport)] == 2.5);

  const Decision& d3 = probe.Run("love it slow again");
  CHECK(d3.verdict.label == Label::kSupport);  // 2.5 beats 2

  const Decision& d4 = probe.Run("not love");
  CHECK(d4.verdict.label == Label::kNone);  // negative weight pulls feedback below the threshold
  CHECK(d4.verdict.scores[static_cast<int>(Label::kFeedback)] == 1);
}

TEST_CASE("Ties go to the more urgent label: crisis, support, lead, feedback, none", "[classifier][scoring]") {
  Probe probe(R"(
rules:
  - {id: l, label: lead, weight: 3, any: [alpha]}
  - {id: s, label: support, weight: 3, any: [beta]}
  - {id: c, label: crisis, weight: 3, any: [gamma]}
  - {id: f, label: feedback, weight: 3, any: [delta]}
  - {id: n, label: none, weight: 3, any: [epsilon]}
)");
  CHECK(probe.Run("alpha beta").verdict.label == Label::kSupport);
  CHECK(probe.Run("alpha delta").verdict.label == Label::kLead);
  CHECK(probe.Run("beta gamma alpha").verdict.label == Label::kCrisis);
  CHECK(probe.Run("delta epsilon").verdict.label == Label::kFeedback);
  CHECK(probe.Run("epsilon").verdict.label == Label::kNone);
}

TEST_CASE("Fired rules are listed in pack order, each once", "[classifier]") {
  Probe probe(R"(
rules:
  - {id: first, label: support, weight: 1, any: [zeta, eta]}
  - {id: second, label: support, weight: 1, any: [eta]}
  - {id: third, label: lead, weight: 1, any: [theta]}
)");
  CHECK(probe.Fired("theta eta zeta eta") == "first,second,third");
}

TEST_CASE("The priority of a decision comes from the winning label's rules", "[classifier]") {
  Probe probe(R"(
rules:
  - {id: urgent_lead, label: lead, weight: 1, priority: urgent, any: [demo]}
  - {id: high_support, label: support, weight: 3, priority: high, any: [broken]}
)");
  CHECK(probe.Run("broken").verdict.priority == Priority::kHigh);
  CHECK(probe.Run("broken demo").verdict.priority == Priority::kHigh);  // the lead rule lost
  CHECK(probe.Run("hello").verdict.priority == Priority::kNormal);
}

TEST_CASE("A message without lang gets a detected language", "[classifier][language]") {
  Probe probe("rules:\n  - {id: hi, label: support, weight: 3, any: [refund], when: {lang: es}}\n");
  Message m;
  m.id = "t";
  m.channel = "x";
  m.text = "Hola, hice un pedido hace diez días y todavía no ha llegado. Quiero un refund por favor, gracias.";
  const Decision& d = probe.Run(m);
  CHECK(d.verdict.lang == "es");
  CHECK(d.verdict.lang_detected);
  CHECK(d.verdict.label == Label::kSupport);
  m.lang = "en";
  CHECK(probe.Run(m).verdict.label == Label::kNone);
}

TEST_CASE("A failed pattern scan is an error naming the message, not a silent 'none'", "[classifier]") {
  // A scratch made for a one-pattern database is too small for the bundled
  // pack's: Hyperscan refuses to scan with it (HS_INVALID). Before, the
  // failure was ignored and the message came out labelled none.
  Probe small("rules:\n  - id: a\n    label: lead\n    any: [price]\n");
  std::unique_ptr<Pipeline> big;
  REQUIRE(Pipeline::Load(TRIAGE_RULES_DIR, PatternDatabaseOptions{}, "none", &big).ok());
  Message m;
  m.id = "scan:1";
  m.channel = "x";
  m.text = "my charger caught fire and burned my hand";
  m.lang = "en";
  Decision d;
  Status s = big->Decide(m, small.scratch.get(), &d);
  CHECK_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("pattern scan failed"));
  CHECK_THAT(s.message(), Catch::Contains("scan:1"));
  // The right scratch still works.
  std::unique_ptr<ClassifierScratch> own;
  REQUIRE(big->NewScratch(&own).ok());
  REQUIRE(big->Decide(m, own.get(), &d).ok());
  CHECK(d.verdict.label == Label::kCrisis);
}
