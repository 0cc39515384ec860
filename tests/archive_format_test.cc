#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include "format/archive_event.h"
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

TEST_CASE("Field size limits: each string field is refused one byte over its limit, naming it", "[archive][limits]") {
  // Each field at its limit parses; one byte more is an error naming it.
  struct Case {
    std::string field;  // as named in the error
    size_t limit;
    std::function<std::string(const std::string&)> line;
  };
  auto with = [](const std::string& json_field) {
    return [json_field](const std::string& v) {
      return R"({"id":"a","channel":"x","text":"t",)" + json_field + R"(":")" + v + "\"}";
    };
  };
  const std::vector<Case> cases = {
      {"id", kMaxIdBytes, [](const std::string& v) { return R"({"id":")" + v + R"(","channel":"x","text":"t"})"; }},
      {"channel", kMaxChannelBytes, [](const std::string& v) { return R"({"id":"a","channel":")" + v + R"(","text":"t"})"; }},
      {"text", kMaxTextBytes, [](const std::string& v) { return R"({"id":"a","channel":"x","text":")" + v + "\"}"; }},
      {"conversation_id", kMaxIdBytes, with("\"conversation_id")},
      {"in_reply_to", kMaxIdBytes, with("\"in_reply_to")},
      {"brand", kMaxFieldBytes, with("\"brand")},
      {"lang", kMaxLangBytes, with("\"lang")},
      {"label", kMaxFieldBytes, with("\"label")},
      {"incident", kMaxFieldBytes, with("\"incident")},
      {"author.id", kMaxIdBytes,
       [](const std::string& v) { return R"({"id":"a","channel":"x","text":"t","author":{"id":")" + v + "\"}}"; }},
      {"author.handle", kMaxFieldBytes,
       [](const std::string& v) { return R"({"id":"a","channel":"x","text":"t","author":{"handle":")" + v + "\"}}"; }},
      {"attachments[0].type", kMaxFieldBytes,
       [](const std::string& v) {
         return R"({"id":"a","channel":"x","text":"t","attachments":[{"type":")" + v + R"(","count":1}]})";
       }},
  };
  for (const Case& c : cases) {
    INFO(c.field);
    Message m;
    CHECK(Parse(c.line(std::string(c.limit, 'a')), &m).ok());
    CHECK(Error(c.line(std::string(c.limit + 1, 'a'))) ==
          "field '" + c.field + "': " + std::to_string(c.limit + 1) + " bytes, over the limit of " + std::to_string(c.limit));
  }
  // created_at is an RFC 3339 time, which never comes near its limit: a
  // long one is refused as a bad time.
  CHECK_THAT(Error(R"({"id":"a","channel":"x","text":"t","created_at":")" + std::string(300, '1') + "\"}"),
             Catch::StartsWith("field 'created_at'"));
  // Counted after unescaping: 256 escaped characters are 256 bytes.
  std::string escaped;
  for (size_t i = 0; i < kMaxIdBytes; ++i) escaped += "\\u0041";
  Message m;
  REQUIRE(Parse(R"({"id":")" + escaped + R"(","channel":"x","text":"t"})", &m).ok());
  CHECK(m.id == std::string(kMaxIdBytes, 'A'));
  // The limits are the documented ones.
  CHECK(kMaxIdBytes == 256);
  CHECK(kMaxTextBytes == 65536);
  CHECK(CheckMessageLimits(m).ok());
}

TEST_CASE("A field given twice makes the line malformed, naming it - escaped keys included", "[archive][limits]") {
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","id":"b"})") == "field 'id': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","text":"u"})") == "field 'text': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","lang":null,"lang":"en"})") == "field 'lang': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"id":"u"},"author":{"id":"v"}})") ==
        "field 'author': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"id":"u","id":"v"}})") == "field 'author.id': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","author":{"followers":1,"followers":2}})") ==
        "field 'author.followers': given twice");
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","attachments":[{"type":"image","count":1,"count":2}]})") ==
        "field 'attachments[0].count': given twice");
  // A key with an escape is that key: the same field, given twice.
  CHECK(Error(R"({"id":"a","channel":"x","text":"t","i\u0064":"b"})") == "field 'id': given twice");
  Message m;
  REQUIRE(Parse(R"({"i\u0064":"a","channel":"x","t\u0065xt":"hello","author":{"h\u0061ndle":"h"}})", &m).ok());
  CHECK(m.id == "a");
  CHECK(m.text == "hello");
  CHECK(m.author.handle == "h");
  // Unknown fields are skipped unread, repeated or not.
  CHECK(Parse(R"({"id":"a","channel":"x","text":"t","extra":1,"extra":2})", &m).ok());
}

TEST_CASE("Event lines: a field given twice, sizes and the time range are checked", "[archive][limits]") {
  ArchiveEvent ev;
  const std::string head = R"({"type":"event","message":"x:1","event":"replied",)";
  REQUIRE(ParseArchiveEvent(head + R"("agent":"ana","at":"2026-10-01T10:05:00Z"})", &ev).ok());
  CHECK(ParseArchiveEvent(head + R"("agent":"ana","agent":"bob","at":"2026-10-01T10:05:00Z"})", &ev).message() ==
        "field 'agent': given twice");
  CHECK(ParseArchiveEvent(head + R"("agent":")" + std::string(kMaxAgentBytes + 1, 'a') + R"(","at":"2026-10-01T10:05:00Z"})",
                          &ev).message() == "field 'agent': 129 bytes, over the limit of 128");
  CHECK(ParseArchiveEvent(head + R"("agent":"ana","note":")" + std::string(kMaxNoteBytes + 1, 'n') +
                              R"(","at":"2026-10-01T10:05:00Z"})",
                          &ev).message() == "field 'note': 4097 bytes, over the limit of 4096");
  CHECK_THAT(ParseArchiveEvent(head + R"("agent":"ana","at":"1999-12-31T23:59:59Z"})", &ev).message(),
             Catch::StartsWith("field 'at': must lie from 2000-01-01T00:00:00Z to 2100-01-01T00:00:00Z"));
  CHECK(ParseArchiveEvent(head + R"("agent":"ana","at":"2000-01-01T00:00:00Z"})", &ev).ok());
  CHECK(ParseArchiveEvent(head + R"("agent":"ana","at":"2100-01-01T00:00:00Z"})", &ev).ok());
  CHECK_FALSE(ParseArchiveEvent(head + R"("agent":"ana","at":"2100-01-01T00:00:00.001Z"})", &ev).ok());
  CHECK(ParseArchiveEvent(R"({"type":"event","message":")" + std::string(kMaxIdBytes + 1, 'm') +
                              R"(","event":"replied","agent":"ana","at":"2026-10-01T10:05:00Z"})",
                          &ev).message() == "field 'message': 257 bytes, over the limit of 256");
  // A message line that repeats "type" is still not an event line.
  CHECK(ParseArchiveEvent(R"({"id":"a","channel":"x","text":"t","type":"x","type":"y"})", &ev).code() ==
        Status::Code::kNotFound);
}
