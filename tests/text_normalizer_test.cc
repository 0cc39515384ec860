#include <catch2/catch.hpp>

#include "engine/text_normalizer.h"

using triage::TextNormalizer;

static std::string Norm(const std::string& s) {
  TextNormalizer n;
  std::string out;
  n.Normalize(s, &out);
  return out;
}

TEST_CASE("ASCII text is lower-cased and split into space-separated words", "[normalizer]") {
  CHECK(Norm("Where is my ORDER #123?!") == " where is my order 123 ");
  CHECK(Norm("") == " ");
  CHECK(Norm("...") == " ");
  CHECK(Norm("can't") == " can t ");
  CHECK(Norm("  a\tb\n\nc  ") == " a b c ");
}

TEST_CASE("Latin accents are dropped and case folds fully", "[normalizer]") {
  CHECK(Norm("DEVOLUCIÓN") == " devolucion ");
  CHECK(Norm("devolución") == Norm("devolucion"));
  CHECK(Norm("Straße") == " strasse ");
  CHECK(Norm("Ça ne MARCHE pas") == " ca ne marche pas ");
  CHECK(Norm("São Paulo não") == " sao paulo nao ");
}

TEST_CASE("Turkish dotted capital I folds to i", "[normalizer]") {
  CHECK(Norm("İADE") == " iade ");
  CHECK(Norm("çalışmıyor") == " calısmıyor ");  // dotless ı is a letter of its own
}

TEST_CASE("Arabic script variants fold together and harakat are dropped", "[normalizer]") {
  // Arabic kaf/yeh and the Urdu/Persian forms normalize the same.
  CHECK(Norm("كيف") == Norm("کیف"));
  // Harakat (short vowels) are optional in everyday writing.
  CHECK(Norm("مُشْكِلَة") == Norm("مشكلة"));
  // Alef with hamza folds to bare alef; ta marbuta to heh.
  CHECK(Norm("أريد") == Norm("اريد"));
  CHECK(Norm("مشكلة") == Norm("مشکله"));
  // Tatweel (elongation) is dropped.
  CHECK(Norm("رائـــع") == Norm("رائع"));
}

TEST_CASE("Devanagari and Bengali keep their vowel signs but drop the nukta", "[normalizer]") {
  // Matras are part of the word: "kam" and "kaam" stay different.
  CHECK(Norm("कम") != Norm("काम"));
  CHECK(Norm("काम नहीं") == " काम नहीं ");
  // Nukta is optional in everyday typing.
  CHECK(Norm("रिफ़ंड") == Norm("रिफंड"));
  CHECK(Norm("সমস্যা!") == " সমস্যা ");
}

TEST_CASE("Digits of any script become ASCII digits", "[normalizer]") {
  CHECK(Norm("طلب ١٢٣٤٥") == Norm("طلب 12345"));
  CHECK(Norm("ऑर्डर ४५६") == Norm("ऑर्डर 456"));
  CHECK(Norm("১০টা") == " 10টা ");
  CHECK(Norm("ＡＢＣ１２") == " abc12 ");  // NFKC: full-width forms
}

TEST_CASE("Emoji are words of their own, joiners and skin tones are ignored", "[normalizer]") {
  CHECK(Norm("great😂") == " great 😂 ");
  CHECK(Norm("🏃🏾‍♂️run") == Norm("🏃 ♂ run"));
  CHECK(Norm("🐀🐀") == " 🐀 🐀 ");
}

TEST_CASE("Normalizing is idempotent", "[normalizer]") {
  for (std::string s : {"Hola, ¿CÓMO estás?", "मेरा ऑर्डर अभी तक नहीं आया", "ما وصل الطلب", "İstanbul'da 3 gün"}) {
    std::string once = Norm(s);
    CHECK(Norm(once) == once);
  }
}
