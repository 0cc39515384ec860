#include <catch2/catch.hpp>

#include "format/archive_format.h"

using namespace triage;

static Status Parse(const std::string& line, Message* m) {
  static ArchiveParser parser;
  return parser.ParseCopy(line, m);
}

static std::string Error(const std::string& line) {
  Message m;
  Status s = Parse(line, &m);
  return s.ok() ? "" : s.message();
}

TEST_CASE("A full archive line fills every field of the message", "[archive]") {
  Message m;
  Status s = Parse(
      R"({"id":"x:1","channel":"x","kind":"private","conversation_id":"c1","in_reply_to":"x:0",)"
      R"("author":{"id":"u1","handle":"h","followers":1234,"verified":true,"extra":[1,2]},)"
      R"("brand":"Acme","text":"caf\u00e9 \"quoted\"","lang":"fr","created_at":"2026-10-01T00:29:19Z",)"
      R"("label":"support","incident":"inc-1","unknown":{"nested":true}})",
      &m);
  REQUIRE(s.ok());
  CHECK(m.id == "x:1");
  CHECK(m.channel == "x");
  CHECK(m.kind == Kind::kPrivate);
  CHECK(m.conversation_id == "c1");
  CHECK(m.in_reply_to == "x:0");
  CHECK(m.author.id == "u1");
  CHECK(m.author.handle == "h");
  CHECK(m.author.followers == 1234);
  CHECK(m.author.verified);
  CHECK(m.brand == "Acme");
  CHECK(m.text == "café \"quoted\"");
  CHECK(m.lang == "fr");
  CHECK(m.created_at_ms == 1790814559000LL);
  CHECK(m.label == "support");
  CHECK(m.incident == "inc-1");
}

TEST_CASE("Only id, channel and text are required - null is absent", "[archive]") {
  Message m;
  REQUIRE(Parse(R"({"id":"a","channel":"x","text":"","in_reply_to":null,"author":null,"lang":null})", &m).ok());
  CHECK(m.text.empty());
  CHECK(m.in_reply_to.empty());
  CHECK(m.kind == Kind::kUnknown);
  CHECK(Error(R"({"channel":"x","text":"t"})") == "missing required field 'id'");
  CHECK(Error(R"({"id":"","channel":"x","text":"t"})") == "missing required field 'id'");
  CHECK(Error(R"({"id":"a","text":"t"})") == "missing required field 'channel'");
  CHECK(Error(R"({"id":"a","channel":"x"})") == "missing required field 'text'");
  CHECK(Error(R"({"id":"a","channel":"x","text":null})") == "missing required field 'text'");
}

TEST_CASE("Malformed lines get an error that names the problem", "[archive]") {
  CHECK_THAT(Error(R"({"id":"a","channel":"x","text":"t")"), Catch::StartsWith("invalid JSON"));
  CHECK_THAT(Error("not json at all"), Catch::StartsWith("invalid JSON"));
  CHECK(Error(R"(["id","a"])") == "invalid JSON: the line is not a JSON object");
  CHECK(Error(R"({"id":7,"channel":"x","text":"t"})") == "field 'id': expected a string");
  CHECK(Error(R"({"id":"a","channel":"x","text":["t"]})") == "field 'text': expected a string");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","kind":"secret"})") ==
        "field 'kind': expected \"public\" or \"private\"");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":"bob"})") == "field 'author': expected an object");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"followers":"many"}})") ==
        "field 'author.followers': expected a non-negative integer");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"followers":-1}})") ==
        "field 'author.followers': expected a non-negative integer");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"verified":"yes"}})") ==
        "field 'author.verified': expected true or false");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","created_at":"yesterday"})") ==
        "field 'created_at': expected an RFC 3339 timestamp");
  CHECK_THAT(Error(R"({"id":"a","channel":"x","text":"t"} {"id":"b"})"), Catch::StartsWith("invalid JSON"));
}

TEST_CASE("Invalid UTF-8 makes a line malformed", "[archive][unicode]") {
  CHECK(Error("{\"id\":\"a\",\"channel\":\"x\",\"text\":\"bad \xC3\x28 byte\"}") == "invalid UTF-8");
  CHECK(Error("{\"id\":\"a\",\"channel\":\"x\",\"text\":\"overlong \xC0\xAF\"}") == "invalid UTF-8");
  CHECK(Error("{\"id\":\"a\",\"channel\":\"x\",\"text\":\"cut \xE0\xA4\"}") == "invalid UTF-8");
  Message m;
  CHECK(Parse("{\"id\":\"a\",\"channel\":\"x\",\"text\":\"ok \xE0\xA4\x95\"}", &m).ok());
}

TEST_CASE("RFC 3339 timestamps parse to epoch milliseconds", "[archive]") {
  int64_t ms = 0;
  REQUIRE(ParseRfc3339("1970-01-01T00:00:00Z", &ms));
  CHECK(ms == 0);
  REQUIRE(ParseRfc3339("2026-10-08T20:00:30Z", &ms));
  CHECK(ms == 1791489630000LL);
  REQUIRE(ParseRfc3339("2026-10-08T22:00:30.25+02:00", &ms));
  CHECK(ms == 1791489630250LL);
  REQUIRE(ParseRfc3339("2024-02-29T12:00:00-05:30", &ms));
  CHECK(ms == 1709227800000LL);
  CHECK_FALSE(ParseRfc3339("2023-02-29T12:00:00Z", &ms));
  CHECK_FALSE(ParseRfc3339("2026-13-01T00:00:00Z", &ms));
  CHECK_FALSE(ParseRfc3339("2026-10-08T20:00:30", &ms));
  CHECK_FALSE(ParseRfc3339("2026-10-08T20:00:30.Z", &ms));
  CHECK_FALSE(ParseRfc3339("2026-10-08T20:00:30Zjunk", &ms));
  CHECK_FALSE(ParseRfc3339("", &ms));
}
