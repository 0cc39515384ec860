// The learned classifier: feature hashing, training, the model file, how the
// model and the rules combine, and `triage train` end to end.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>

#include "cli/commands.h"
#include "engine/model/calibration.h"
#include "engine/model/feature_hasher.h"
#include "engine/model/linear_model.h"
#include "engine/model/trainer.h"
#include "engine/pipeline.h"
#include "engine/text_normalizer.h"
#include "test_util.h"

using namespace triage;

namespace {

FeatureVector TextFeatures(const FeatureHasher& h, const std::string& text) {
  TextNormalizer n;
  std::string norm;
  n.Normalize(text, &norm);
  FeatureVector f;
  h.ExtractText(norm, &f);
  return f;
}

// The full feature vector of a message as the trainer and Predict() see it.
FeatureVector MessageFeatures(const FeatureHasher& h, const std::string& text) {
  TextNormalizer n;
  std::string norm;
  n.Normalize(text, &norm);
  FeatureVector f;
  FeatureHasher::Context c;
  c.channel = "x";
  c.lang = "en";
  c.raw_text = text;
  h.Extract(norm, c, std::vector<std::string_view>{}, &f);
  return f;
}

// A separable toy set: each label has its own words, in several scripts.
std::vector<std::pair<std::string, Label>> ToySet() {
  std::vector<std::pair<std::string, Label>> v;
  const char* lead[] = {"price of the pro plan", "quote for 40 seats", "कीमत क्या है plan", "سعر الباقة"};
  const char* support[] = {"my order never arrived", "refund not received", "অর্ডার আসেনি", "مرحبا طلبي لم يصل"};
  const char* feedback[] = {"love the new design", "suggestion add dark mode", "great update thanks", "nuevo diseño genial"};
  const char* crisis[] = {"battery exploded fire", "food poisoning outbreak", "lawsuit filed today", "data leak exposed"};
  const char* none[] = {"good morning everyone", "lol nice meme", "weather is sunny", "happy friday"};
  for (int rep = 0; rep < 5; ++rep) {
    for (const char* t : lead) v.emplace_back(t, Label::kLead);
    for (const char* t : support) v.emplace_back(t, Label::kSupport);
    for (const char* t : feedback) v.emplace_back(t, Label::kFeedback);
    for (const char* t : crisis) v.emplace_back(t, Label::kCrisis);
    for (const char* t : none) v.emplace_back(t, Label::kNone);
  }
  return v;
}

LinearModel TrainToy(uint64_t seed = 1) {
  LinearModel m{FeatureOptions()};
  std::vector<TrainingExample> ex;
  for (const auto& [text, label] : ToySet()) ex.push_back({MessageFeatures(m.hasher(), text), label});
  std::vector<const TrainingExample*> ptrs;
  for (const auto& e : ex) ptrs.push_back(&e);
  TrainOptions to;
  to.seed = seed;
  to.epochs = 20;
  Train(ptrs, to, &m);
  return m;
}

}  // namespace

TEST_CASE("Feature hashing is stable, namespaced, word-bounded and Unicode-aware", "[model]") {
  FeatureHasher a{FeatureOptions()}, b{FeatureOptions()};
  // Stable across instances and builds: this value is part of the model file
  // format (a change here invalidates every trained model).
  CHECK(a.Key('w', "refund") == b.Key('w', "refund"));
  CHECK(a.Key('w', "refund") == 0xE6BBD319u);
  CHECK(a.Key('w', "x") != a.Key('h', "x"));  // the word x is not the channel x
  FeatureOptions seeded;
  seeded.seed = 7;
  CHECK(FeatureHasher(seeded).Key('w', "refund") != a.Key('w', "refund"));

  // " नमस्ते " is 8 code points with its spaces (6 in the word): 6 trigrams and
  // 5 four-grams, never a gram cut inside a code point, plus 1 word.
  FeatureOptions fo;
  fo.word_bigrams = false;
  fo.char_max = 4;
  FeatureHasher h(fo);
  FeatureVector hindi = TextFeatures(h, "नमस्ते");
  CHECK(hindi.keys.size() == 1 + 6 + 5);
  CHECK(hindi.chars_begin == 1);
  CHECK(hindi.flags_begin == hindi.keys.size());
  FeatureVector arabic = TextFeatures(h, "مرحبا");  // 5 letters + 2 spaces: 5 trigrams, 4 four-grams
  CHECK(arabic.keys.size() == 1 + 5 + 4);
  // Character n-grams stay inside a word: "ab cd" has " ab", "ab ", " cd",
  // "cd " and no "b c".
  fo.char_max = 3;
  std::vector<std::string> names;
  FeatureVector named;
  named.names = &names;
  TextNormalizer n;
  std::string norm;
  n.Normalize("ab cd", &norm);
  FeatureHasher(fo).ExtractText(norm, &named);
  CHECK(names == std::vector<std::string>{"w:ab", "w:cd", "c: ab", "c:ab ", "c: cd", "c:cd "});
  // A word shorter than the n-gram is one feature, its padded self.
  n.Normalize("a", &norm);
  named.Clear();
  FeatureHasher(fo).ExtractText(norm, &named);
  CHECK(names == std::vector<std::string>{"w:a", "c: a "});
  // Digits fold: order numbers are the same evidence.
  CHECK(TextFeatures(h, "order 48213").keys == TextFeatures(h, "order 99107").keys);
  // Case and accents fold before hashing: the same features.
  CHECK(TextFeatures(h, "DEVOLUCIÓN").keys == TextFeatures(h, "devolucion").keys);
  // Keys are never 0 (the empty slot of the model's table).
  for (uint32_t f : TextFeatures(a, "অর্ডার আসেনি, refund please 🙏").keys) CHECK(f != 0u);
}

TEST_CASE("Flags: context, shape of the raw text, thread, rules", "[model]") {
  FeatureHasher h{FeatureOptions()};
  std::vector<std::string> names;
  FeatureVector f;
  f.names = &names;
  FeatureHasher::Context c;
  c.channel = "whatsapp";
  c.kind = Kind::kPrivate;
  c.lang = "hi";
  c.followers = 12345;
  c.reply = true;
  c.thread = ThreadContext{true, Label::kSupport, true};
  c.raw_text = "ORDER 12345 STILL NOT HERE?! @SHOP #FAIL";
  h.Extract(" order 00000 still not here ", c, std::vector<std::string_view>{"refund_request"}, &f);
  std::vector<std::string> flags(names.begin() + f.flags_begin, names.end());
  for (const char* want : {"h:whatsapp", "k:private", "l:hi", "f:4", "y:reply", "p:support", "p:same-author",
                           "q:support/same", "s:question", "s:exclaim", "s:number", "s:shouting", "n:3",
                           "r:refund_request"})
    CHECK(std::count(flags.begin(), flags.end(), std::string(want)) == 1);
  // Links, mentions and hashtags are deliberately not features (README: they
  // made real tweets look like crisis).
  for (const auto& name : flags) CHECK(name.rfind("s:link", 0) != 0);
  CHECK(names.size() == f.keys.size());
}

TEST_CASE("Training on a small separable set reaches 100% and is deterministic", "[model]") {
  LinearModel m = TrainToy();
  int right = 0, total = 0;
  ModelOutput out;
  for (const auto& [text, label] : ToySet()) {
    m.Predict(MessageFeatures(m.hasher(), text), &out);
    right += TopLabel(out.probs) == label;
    ++total;
  }
  CHECK(right == total);
  // Probabilities are a distribution; a training text is fully known.
  double sum = 0;
  for (double v : out.probs) sum += v;
  CHECK(sum == Approx(1.0));
  CHECK(out.coverage == Approx(1.0));
  // Predict's logits are the bias plus the contributions explain shows.
  FeatureVector f = MessageFeatures(m.hasher(), "my order never arrived");
  m.Predict(f, &out);
  double mean_logit = 0, mean_bias = 0;
  for (int l = 0; l < kNumLabels; ++l) mean_logit += out.logits[l] / kNumLabels, mean_bias += m.bias()[l] / kNumLabels;
  for (Label l : kAllLabels) {
    double logit = m.bias()[static_cast<int>(l)] - mean_bias;
    for (const auto& [i, c] : m.Contributions(f, l)) logit += c;
    CHECK(out.logits[static_cast<int>(l)] - mean_logit == Approx(logit).margin(1e-4));
  }
  // Same data, same seed: the same bytes. Another seed: another model.
  CHECK(TrainToy(1).Serialize() == m.Serialize());
  CHECK(TrainToy(2).Serialize() != m.Serialize());
}

TEST_CASE("Unfamiliar text gets flat probabilities, not a confident label", "[model][calibration]") {
  LinearModel m = TrainToy();
  Calibration c;
  c.familiar_coverage = 0.6;
  m.set_calibration(c);
  ModelOutput known, unknown;
  m.Predict(MessageFeatures(m.hasher(), "battery exploded fire"), &known);
  CHECK(known.probs[static_cast<int>(Label::kCrisis)] > 0.8);
  // Words the toy set never had: almost nothing known, nearly uniform.
  m.Predict(MessageFeatures(m.hasher(), "zqxj vrkk pplomb wuzzle"), &unknown);
  CHECK(unknown.coverage < 0.2);
  for (double p : unknown.probs) CHECK(p < 0.35);
  // The same logits at full coverage would be sharper: the flattening is the
  // coverage's doing.
  LabelProbs sharp;
  m.Calibrate(unknown.logits, 1.0, &sharp);
  CHECK(*std::max_element(sharp.begin(), sharp.end()) > *std::max_element(unknown.probs.begin(), unknown.probs.end()));
}

TEST_CASE("Model file: round trip, and corrupt or foreign files are clear errors", "[model]") {
  test::TempDir dir;
  LinearModel m = TrainToy();
  m.set_description("toy");
  Calibration c;
  c.temperature = 1.25;
  c.familiar_coverage = 0.5;
  c.crisis_threshold = 0.7;
  c.review_threshold = 0.6;
  m.set_calibration(c);
  m.set_fingerprint({42, 7, 42});
  std::string path = dir.path() + "/toy.model";
  REQUIRE(m.Save(path).ok());
  LinearModel back;
  REQUIRE(LinearModel::Load(path, &back).ok());
  CHECK(back.Serialize() == m.Serialize());
  CHECK(back.description() == "toy");
  CHECK(back.calibration().temperature == 1.25);
  CHECK(back.calibration().crisis_threshold == 0.7);
  CHECK(back.TrainedOn(7));
  CHECK(back.TrainedOn(42));
  CHECK_FALSE(back.TrainedOn(8));
  CHECK(back.fingerprint_size() == 2);
  ModelOutput p1, p2;
  FeatureVector f = MessageFeatures(m.hasher(), "my order never arrived");
  m.Predict(f, &p1);
  back.Predict(f, &p2);
  CHECK(p1.probs == p2.probs);

  std::string bytes = m.Serialize();
  LinearModel x;
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  CHECK_THAT(LinearModel::Parse(flipped, "m.bin", &x).message(), Catch::Contains("m.bin: checksum mismatch"));
  CHECK_THAT(LinearModel::Parse(bytes.substr(0, bytes.size() - 100), "m.bin", &x).message(),
             Catch::Contains("m.bin: checksum mismatch"));
  CHECK_THAT(LinearModel::Parse("{\"not\":\"a model\"}", "m.bin", &x).message(),
             Catch::Contains("m.bin: not a triage model file"));
  CHECK_THAT(LinearModel::Parse("TRIAGEMD", "m.bin", &x).message(), Catch::Contains("truncated"));
  std::string v1 = bytes;
  v1[8] = 1;  // the format before calibration
  CHECK_THAT(LinearModel::Parse(v1, "m.bin", &x).message(), Catch::Contains("version 1"));
  CHECK_THAT(LinearModel::Parse(v1, "m.bin", &x).message(), Catch::Contains("retrain"));
  CHECK_THAT(LinearModel::Load(dir.path() + "/missing.model", &x).message(), Catch::Contains("missing.model"));
}

TEST_CASE("Calibration: temperature, familiar coverage and the crisis threshold are fitted on held-out data",
          "[model][calibration]") {
  // Synthetic held-out set from an overconfident model: its logits say 0.99,
  // it is right 70 % of the time.
  LinearModel m{FeatureOptions()};
  std::vector<CalibrationSample> samples;
  SplitMix64 rng(3);
  for (int i = 0; i < 1000; ++i) {
    CalibrationSample s;
    Label top = kAllLabels[rng.Below(kNumLabels)];
    s.logits.fill(0);
    s.logits[static_cast<int>(top)] = 6;  // softmax: ~0.99
    bool right = rng.Below(10) < 7;
    s.truth = right ? top : kAllLabels[(static_cast<int>(top) + 1 + rng.Below(kNumLabels - 1)) % kNumLabels];
    s.coverage = 0.5 + 0.5 * static_cast<double>(rng.Below(1000)) / 1000.0;
    samples.push_back(s);
  }
  CalibrationReport report;
  Calibration base;
  base.review_threshold = 0.6;
  Calibration c = FitCalibration(samples, m, base, 0.9, &report);
  CHECK(c.temperature > 1.5);                     // softened
  CHECK(report.ece_before > 0.2);                 // 0.99 said, 0.7 right
  CHECK(report.ece_after < 0.05);
  CHECK(report.nll_after < report.nll_before);
  CHECK(c.familiar_coverage == Approx(0.525).margin(0.02));  // the 5th percentile of coverage
  CHECK(c.review_threshold == 0.6);
  // Crisis is right only 70 % of the time when the model alone says it:
  // never precise enough, so the model alone never labels crisis.
  CHECK(c.crisis_threshold > 1.0);
  // When crisis is right at high confidence only, the threshold sits there.
  for (auto& s : samples)
    if (s.logits[static_cast<int>(Label::kCrisis)] > 0 && s.coverage > 0.8) {
      s.logits[static_cast<int>(Label::kCrisis)] = 12;
      s.truth = Label::kCrisis;
    }
  Calibration c2 = FitCalibration(samples, m, base, 0.9, &report);
  CHECK(c2.crisis_threshold <= 1.0);
  CHECK(report.crisis_alone_precision >= 0.9);
  CHECK(ExpectedCalibrationError({{0.9, 0.1, 0, 0, 0}}, {Label::kLead}) == Approx(0.1));
}

TEST_CASE("Model and rules combine: scores add, force wins, rules condition on the model", "[model]") {
  test::TempDir dir;
  LinearModel m = TrainToy();
  REQUIRE(m.Save(dir.path() + "/toy.model").ok());
  std::string pack = dir.Write("pack.yaml",
                               "pack: {threshold: 2, model: toy.model, model_weight: 4}\n"
                               "rules:\n"
                               "  - id: weak_lead\n    label: lead\n    weight: 1\n    any: [seats]\n"
                               "  - id: legal\n    label: crisis\n    weight: 1\n    force: true\n    any: [lawyer]\n"
                               "  - id: model_sure_crisis\n    label: crisis\n    weight: 3\n    model: \"crisis >= 0.6\"\n"
                               "  - id: refund_if_support\n    label: support\n    weight: 1\n    any: [refund]\n"
                               "    model: \"support >= 0.99\"\n");
  std::unique_ptr<Pipeline> p;
  Status s = Pipeline::Load(pack, PatternDatabaseOptions{}, &p);
  INFO(s.message());
  REQUIRE(s.ok());
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  auto decide = [&](const std::string& text) {
    Message msg;
    msg.id = "t";
    msg.channel = "x";
    msg.text = text;
    msg.lang = "en";
    Decision d;
    REQUIRE(p->Decide(msg, scratch.get(), &d).ok());
    return d.verdict;
  };
  // The model alone labels what no rule knows.
  Verdict v = decide("my order never arrived");
  CHECK(v.has_model);
  CHECK(v.model_label == Label::kSupport);
  CHECK(v.rules_label == Label::kNone);
  CHECK(v.label == Label::kSupport);
  CHECK(v.scores[static_cast<int>(Label::kSupport)] == Approx(4 * v.model[static_cast<int>(Label::kSupport)]));
  // A force: rule wins whatever the scores say.
  v = decide("love the new design, my lawyer agrees");
  CHECK(v.forced);
  CHECK(v.label == Label::kCrisis);
  CHECK(v.model_label != Label::kCrisis);
  // A rule conditioned on the model fires only when the condition holds.
  v = decide("battery exploded fire");
  const auto& rules = p->pack().rules();
  auto fired = [&](const Verdict& vv, const std::string& id) {
    return std::any_of(vv.fired.begin(), vv.fired.end(), [&](uint32_t r) { return rules[r].id == id; });
  };
  CHECK(v.model[static_cast<int>(Label::kCrisis)] >= 0.6);
  CHECK(fired(v, "model_sure_crisis"));
  CHECK(v.label == Label::kCrisis);
  v = decide("good morning everyone");
  CHECK_FALSE(fired(v, "model_sure_crisis"));
  CHECK(v.label == Label::kNone);
  v = decide("refund");  // the pattern matched, the model is not that sure
  CHECK(v.model[static_cast<int>(Label::kSupport)] < 0.99);
  CHECK_FALSE(fired(v, "refund_if_support"));
  // A weak rule and the model together: the rule's weight adds to the model's share.
  v = decide("quote for 40 seats");
  CHECK(fired(v, "weak_lead"));
  CHECK(v.scores[static_cast<int>(Label::kLead)] ==
        Approx(1 + 4 * v.model[static_cast<int>(Label::kLead)]));
  CHECK(v.label == Label::kLead);

  // The decision line shows the model's top label and confidence.
  DecisionWriter w(p->pack());
  Message msg;
  msg.id = "t";
  msg.channel = "x";
  msg.text = "my order never arrived";
  msg.lang = "en";
  Decision d;
  REQUIRE(p->Decide(msg, scratch.get(), &d).ok());
  std::string line;
  w.Append(msg, d, &line);
  CHECK_THAT(line, Catch::Contains(",\"model\":{\"label\":\"support\",\"p\":0."));

  // --model none: the rules alone (and a rule on the model is then an error).
  std::unique_ptr<Pipeline> rules_only;
  Status none = Pipeline::Load(pack, PatternDatabaseOptions{}, "none", &rules_only);
  CHECK_THAT(none.message(), Catch::Contains("rule 'model_sure_crisis': conditions on the model, but the pack has no model"));
  // A pack naming a corrupt model: the error names the pack line and the file.
  std::ofstream(dir.path() + "/toy.model", std::ios::trunc) << "TRIAGEMD garbage";
  Status bad = Pipeline::Load(pack, PatternDatabaseOptions{}, &rules_only);
  CHECK_THAT(bad.message(), Catch::Contains("pack.yaml:1: pack model: "));
  CHECK_THAT(bad.message(), Catch::Contains("toy.model"));
}

TEST_CASE("Model conditions in rule files are checked", "[model][rules]") {
  auto errors = [](const std::string& yaml) {
    RulePack p;
    return RulePack::LoadFromString(yaml, "p.yaml", &p).message();
  };
  CHECK_THAT(errors("rules:\n  - id: a\n    label: lead\n    model: \"lead >> 0.5\"\n"),
             Catch::Contains("p.yaml:4: rule 'a': 'model' must read like"));
  CHECK_THAT(errors("rules:\n  - id: a\n    label: lead\n    model: \"sales >= 0.5\"\n"),
             Catch::Contains("unknown label 'sales'"));
  CHECK_THAT(errors("rules:\n  - id: a\n    label: lead\n    model: \"lead >= 1.5\"\n"),
             Catch::Contains("from 0 to 1"));
  CHECK_THAT(errors("rules:\n  - id: a\n    label: lead\n    force: maybe\n    any: [x]\n"),
             Catch::Contains("'force' must be true or false"));
  CHECK_THAT(errors("pack: {model_weight: -1}\n"), Catch::Contains("'model_weight' must not be negative"));
  CHECK(errors("rules:\n  - id: a\n    label: crisis\n    model: \"crisis >= 0.7\"\n").empty());
}

TEST_CASE("A model trained on a small set cannot push unfamiliar text to crisis", "[model][calibration]") {
  test::TempDir dir;
  LinearModel m = TrainToy();
  // Calibrated as `triage train --calibrate` would: text that shares little
  // with the training set is unfamiliar, and the model alone labels crisis
  // only at P >= 0.6.
  Calibration c;
  c.familiar_coverage = 0.6;
  c.crisis_threshold = 0.6;
  c.review_threshold = 0.6;
  m.set_calibration(c);
  REQUIRE(m.Save(dir.path() + "/toy.model").ok());
  std::string pack = dir.Write("pack.yaml",
                               "pack: {threshold: 2, model: toy.model, model_weight: 12}\n"
                               "rules:\n  - id: refund\n    label: support\n    weight: 3\n    any: [refund]\n");
  std::unique_ptr<Pipeline> p;
  REQUIRE(Pipeline::Load(pack, PatternDatabaseOptions{}, &p).ok());
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  auto decide = [&](const std::string& text) {
    Message msg;
    msg.id = "u";
    msg.channel = "x";
    msg.text = text;
    Decision d;
    REQUIRE(p->Decide(msg, scratch.get(), &d).ok());
    return d;
  };
  // Familiar crisis text is crisis.
  CHECK(decide("battery exploded fire").verdict.label == Label::kCrisis);
  for (const char* text : {"RT @acme: Our new spring collection is out today", "zqxj vrkk pplomb wuzzle fire",
                           "新しい春のコレクションが本日発売", "Die Frühjahrskollektion ist da, jetzt im Laden"}) {
    Decision d = decide(text);
    INFO(text << ": P(crisis) " << d.verdict.model[static_cast<int>(Label::kCrisis)] << ", coverage "
              << d.verdict.coverage);
    CHECK(d.verdict.label != Label::kCrisis);
    CHECK(d.routing.priority != Priority::kUrgent);
    CHECK(d.verdict.review);  // unfamiliar: a person should look
    CHECK(d.verdict.confidence < 0.6);
  }
}
