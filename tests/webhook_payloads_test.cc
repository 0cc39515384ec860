// What platform payloads carry beyond text (attachments), `triage normalize`
// on files, and the bot and moderator notices among the samples.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <simdjson.h>

#include "cli/commands.h"
#include "format/archive_format.h"
#include "connectors/inbound_decoder.h"
#include "connectors/webhooks/normalizer.h"
#include "engine/pipeline.h"
#include "test_util.h"
#include "webhook_samples.h"

using namespace triage;
using test::At;
using test::kDir;
using test::RequireSamples;
using test::Run;
using test::RunFile;
using test::WrapMessaging;

namespace {

// The one message a sample file (or payload) becomes, as its archive line.
std::string OnlyLine(const NormalizeResult& r) {
  REQUIRE(r.messages.size() == 1);
  return r.messages[0].ToArchiveLine();
}

std::string AttachmentsField(const std::string& type, int count) {
  return R"("attachments":[{"type":")" + type + R"(","count":)" + std::to_string(count) + "}]";
}

}  // namespace

TEST_CASE("A Messenger or Instagram DM that is only an attachment notes it in the archive line", "[webhooks][normalize][attachments]") {
  RequireSamples();
  const std::string sf = "messenger/fbmessenger_api_hs_wsStructuredMessageRequest.json";
  auto image = RunFile(Platform::kMeta, sf);
  std::string line = OnlyLine(image);
  CHECK(image.messages[0].text.empty());
  CHECK_THAT(line, Catch::Contains(AttachmentsField(At(sf, "/entry/0/messaging/0/message/attachments/0/type"), 1)));
  Message parsed;
  ArchiveParser parser;
  Status st = parser.ParseCopy(line, &parsed);
  INFO(st.message());
  CHECK(st.ok());  // the archive format takes the field
  CHECK(parsed.text.empty());

  const std::string ef = "messenger/meta_docs_messages_attachment__entry_item.json";
  auto entry = Run(Platform::kMeta, R"({"object":"page","entry":[)" + test::ReadFile(kDir + ef) + "]}");
  CHECK_THAT(OnlyLine(entry), Catch::Contains(AttachmentsField(At(ef, "/messaging/0/message/attachments/0/type"), 1)));

  for (const std::string f : {"instagram/chatwoot_factory_instagram_message_attachment_share_event.json",
                              "instagram/chatwoot_factory_instagram_story_mention_event.json"}) {
    INFO(f);
    CHECK_THAT(OnlyLine(RunFile(Platform::kMeta, f)),
               Catch::Contains(AttachmentsField(At(f, "/entry/0/messaging/0/message/attachments/0/type"), 1)));
  }
  // Several of one type are counted; a missing type is "attachment"; a text
  // message without attachments has no field.
  auto many = Run(Platform::kMeta, WrapMessaging("page", R"({"sender":{"id":"a"},"recipient":{"id":"p"},"timestamp":1,
      "message":{"mid":"m1","attachments":[{"type":"image","payload":{}},{"type":"audio","payload":{}},
                                            {"type":"image","payload":{}},{"payload":{}}]}})"));
  CHECK_THAT(OnlyLine(many), Catch::Contains(R"("attachments":[{"type":"image","count":2},{"type":"audio","count":1},)"
                                             R"({"type":"attachment","count":1}])"));
  auto text = RunFile(Platform::kMeta, "messenger/fbmessenger_api_hs_wsTextMessageRequest.json");
  CHECK_THAT(OnlyLine(text), !Catch::Contains("attachments"));
}

TEST_CASE("WhatsApp, Telegram, Slack and Mastodon media are noted as attachments", "[webhooks][normalize][attachments]") {
  RequireSamples();
  const std::string v = "/entry/0/changes/0/value/messages/0";
  for (const std::string f : {"whatsapp/pywa_message__image.json", "whatsapp/pywa_message__voice.json",
                              "whatsapp/pywa_message__audio.json", "whatsapp/pywa_message__document.json",
                              "whatsapp/pywa_message__video.json", "whatsapp/pywa_message__static_sticker.json"}) {
    INFO(f);
    CHECK_THAT(OnlyLine(RunFile(Platform::kMeta, f)), Catch::Contains(AttachmentsField(At(f, v + "/type"), 1)));
  }
  CHECK_THAT(OnlyLine(RunFile(Platform::kMeta, "whatsapp/pywa_message__text.json")), !Catch::Contains("attachments"));

  // A Telegram photo lists several sizes of one photo: one attachment.
  const std::string pf = "telegram/aiogram_dataset_MESSAGE_WITH_PHOTO__wrapped_in_update.json";
  auto photo = RunFile(Platform::kTelegram, pf);
  CHECK_THAT(OnlyLine(photo), Catch::Contains(AttachmentsField("photo", 1)));
  CHECK(photo.messages[0].text == At(pf, "/message/caption"));
  CHECK_THAT(OnlyLine(RunFile(Platform::kTelegram, "telegram/aiogram_dataset_MESSAGE_WITH_DOCUMENT__wrapped_in_update.json")),
             Catch::Contains(AttachmentsField("document", 1)));
  auto voice = RunFile(Platform::kTelegram, "telegram/aiogram_dataset_MESSAGE_WITH_VOICE__wrapped_in_update.json");
  CHECK(voice.messages.at(0).text.empty());
  CHECK_THAT(OnlyLine(voice), Catch::Contains(AttachmentsField("voice", 1)));
  // An animation also fills `document` for old clients: counted once.
  CHECK_THAT(OnlyLine(Run(Platform::kTelegram, R"({"update_id":1,"message":{"message_id":2,"chat":{"id":3,"type":"private"},)"
                                               R"("from":{"id":4},"date":1,"animation":{"file_id":"a"},"document":{"file_id":"a"}}})")),
             Catch::EndsWith(AttachmentsField("animation", 1) + "}"));

  // Slack files are typed by MIME type.
  const std::string sf = "slack/bolt_python_test_message_file_share_body.json";
  std::string mime = At(sf, "/event/files/0/mimetype");
  CHECK_THAT(OnlyLine(RunFile(Platform::kSlack, sf)), Catch::Contains(AttachmentsField(mime.substr(0, mime.find('/')), 1)));

  CHECK_THAT(OnlyLine(Run(Platform::kMastodon, R"({"id":"9","content":"","visibility":"public","account":{"id":"1"},)"
                                               R"("media_attachments":[{"type":"image"},{"type":"video"}]})")),
             Catch::Contains(R"("attachments":[{"type":"image","count":1},{"type":"video","count":1}])"));
}

TEST_CASE("The archive format accepts an attachments field and names it when malformed", "[webhooks][normalize][attachments]") {
  ArchiveParser parser;
  Message m;
  const std::string head = R"({"id":"1","channel":"facebook","text":"",)";
  CHECK(parser.ParseCopy(head + R"("attachments":[{"type":"image","count":2},{"type":"file","count":1}]})", &m).ok());
  CHECK(m.id == "1");
  CHECK(parser.ParseCopy(head + R"("attachments":null})", &m).ok());
  CHECK(parser.ParseCopy(head + R"("attachments":[]})", &m).ok());
  CHECK(parser.ParseCopy(head + R"("attachments":"image"})", &m).message() == "field 'attachments': expected a list");
  CHECK(parser.ParseCopy(head + R"("attachments":[{"type":"image","count":0}]})", &m).message() ==
        "field 'attachments[0].count': expected a positive integer");
  CHECK(parser.ParseCopy(head + R"("attachments":[{"type":"image","count":1},{"count":1}]})", &m).message() ==
        "field 'attachments[1].type': expected a non-empty string");
  CHECK(parser.ParseCopy(head + R"("attachments":[7]})", &m).message() ==
        "field 'attachments[0]': expected an object with type and count");
}

// ---------------------------------------------------------------------------
// triage normalize on files as people have them: platform documentation and
// captured request bodies are one pretty-printed JSON document per file.

namespace {

test::CommandRun NormalizeFiles(std::vector<std::string> files) {
  NormalizeOptions o;
  o.inputs = std::move(files);
  return test::RunCommand(o, &RunNormalize);
}

size_t Lines(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_CASE("triage normalize reads a file that is one pretty-printed JSON document", "[webhooks][normalize][cli]") {
  RequireSamples();
  const std::string f = kDir + "messenger/fbmessenger_api_hs_wsStructuredMessageRequest.json";
  REQUIRE(Lines(test::ReadFile(f)) > 5);  // the sample is pretty-printed
  test::CommandRun r = NormalizeFiles({f});
  INFO(r.err);
  CHECK(r.rc == kExitOk);
  CHECK(r.err.empty());
  CHECK(Lines(r.out) == 1);
  CHECK_THAT(r.out, Catch::StartsWith(R"({"id":"fb:)" + At("messenger/fbmessenger_api_hs_wsStructuredMessageRequest.json",
                                                          "/entry/0/messaging/0/message/mid")));
  CHECK_THAT(r.out, Catch::Contains("\"attachments\":[{\"type\":\"image\",\"count\":1}]"));

  // Every pretty-printed platform sample that is a whole payload gives output
  // and no "cannot tell which platform" line by line.
  for (const std::string name : {"telegram/aiogram_dataset_MESSAGE_WITH_VOICE__wrapped_in_update.json",
                                 "slack/bolt_python_test_message_file_share_body.json", "whatsapp/pywa_message__image.json",
                                 "mastodon/mastodon_docs_entity_status.json", "reddit/praw_cassette_message_private_t4.json"}) {
    INFO(name);
    test::CommandRun one = NormalizeFiles({kDir + name});
    CHECK(one.rc == kExitOk);
    CHECK(one.err.empty());
    CHECK(Lines(one.out) >= 1);
  }
}

TEST_CASE("triage normalize still reads NDJSON, and says once when a file is pretty-printed payloads", "[webhooks][normalize][cli]") {
  test::TempDir dir;
  const std::string a = R"({"update_id":1,"message":{"message_id":2,"chat":{"id":3,"type":"private"},"from":{"id":4},"date":1,"text":"one"}})";
  const std::string b = R"({"update_id":5,"message":{"message_id":6,"chat":{"id":3,"type":"private"},"from":{"id":4},"date":2,"text":"two"}})";
  // NDJSON: one payload per line, a bad line named by its number.
  std::string nd = dir.Write("p.ndjson", a + "\n" + "garbage\n" + b + "\n");
  test::CommandRun r = NormalizeFiles({nd});
  CHECK(r.rc == kExitSkipped);
  CHECK(Lines(r.out) == 2);
  CHECK(r.err == nd + ":2: skipped: cannot tell which platform this payload is from\n");

  // Two pretty-printed documents in one file: neither NDJSON nor one
  // document. The hint comes once, not once per line.
  auto pretty = [](const std::string& id) {
    return "{\n  \"update_id\": " + id + ",\n  \"message\": {\n    \"message_id\": " + id +
           ",\n    \"chat\": {\"id\": 3, \"type\": \"private\"},\n    \"text\": \"hi\"\n  }\n}\n";
  };
  std::string two = dir.Write("two.json", pretty("1") + pretty("2"));
  r = NormalizeFiles({two});
  INFO(r.err);
  CHECK(r.rc == kExitSkipped);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith(two + ":1: skipped: "));
  CHECK_THAT(r.err, Catch::Contains("one per line (NDJSON), or one JSON document per file"));
  CHECK(Lines(r.err) <= 3);
  CHECK_THAT(r.err, Catch::EndsWith(two + ": 15 more lines skipped (pieces of pretty-printed JSON)\n"));

  // One pretty-printed document (after blank lines): read whole; an error
  // names the line it starts on.
  std::string one = dir.Write("one.json", "\n\n" + pretty("7"));
  r = NormalizeFiles({one});
  CHECK(r.rc == kExitOk);
  CHECK_THAT(r.out, Catch::StartsWith(R"({"id":"tg:3:7")"));
  std::string unknown = dir.Write("unknown.json", "\n{\n  \"hello\": \"world\"\n}\n");
  r = NormalizeFiles({unknown});
  CHECK(r.rc == kExitSkipped);
  CHECK(r.err == unknown + ":2: skipped: cannot tell which platform this payload is from\n");
}

TEST_CASE("Bot and moderator notices among the platform samples are not crisis, and removal notices are none",
          "[webhooks][normalize][guide]") {
  RequireSamples();
  std::unique_ptr<Pipeline> p;
  REQUIRE(Pipeline::Load(TRIAGE_RULES_DIR, PatternDatabaseOptions{}, &p).ok());
  std::unique_ptr<ClassifierScratch> scratch;
  REQUIRE(p->NewScratch(&scratch).ok());
  ArchiveParser parser;
  int notices = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kDir + "reddit")) {
    if (entry.path().extension() != ".json") continue;
    std::string payload = test::ReadFile(entry.path().string());
    auto platform = DetectPlatform(payload);
    if (!platform) continue;
    NormalizeResult r;
    if (!Normalize(*platform, payload, &r).ok()) continue;
    for (const NormalizedMessage& nm : r.messages) {
      std::string line = nm.ToArchiveLine();
      Message m;
      REQUIRE(parser.ParseCopy(line, &m).ok());
      Decision d;
      REQUIRE(p->Decide(m, scratch.get(), &d).ok());
      INFO(entry.path().filename().string() << ": " << m.text.substr(0, 120));
      CHECK(d.verdict.label != Label::kCrisis);
      if (m.text.find("was removed from") != std::string_view::npos) {
        ++notices;
        CHECK(d.verdict.label == Label::kNone);
      }
    }
  }
  CHECK(notices > 0);  // the samples hold moderator removal notices
}


TEST_CASE("A normalized message over a size limit is refused by the webhook path as its archive line is",
          "[webhooks][normalize][limits]") {
  const std::string long_type(kMaxFieldBytes + 1, 't'), long_sender(kMaxIdBytes + 1, 's');
  const std::string attachment = WrapMessaging("page", R"({"sender":{"id":"a"},"recipient":{"id":"p"},"timestamp":1,
      "message":{"mid":"m1","attachments":[{"type":")" + long_type + R"(","payload":{}}]}})");
  const std::string sender = WrapMessaging("page", R"({"sender":{"id":")" + long_sender + R"("},"recipient":{"id":"p"},)"
                                                   R"("timestamp":1,"message":{"mid":"m2","text":"hi"}})");
  for (const auto& [payload, field] : {std::pair{attachment, std::string("attachments[0].type")},
                                       // (the conversation id holds the sender's id: it is over first)
                                       std::pair{sender, std::string("conversation_id")}}) {
    INFO(field);
    auto normalized = Run(Platform::kMeta, payload);
    Message parsed;
    ArchiveParser parser;
    Status line = parser.ParseCopy(OnlyLine(normalized), &parsed);
    CHECK_THAT(line.message(), Catch::StartsWith("field '" + field + "': ") && Catch::Contains("over the limit of"));
    InboundDecoder decoder;
    DecodedPayload out;
    ArchiveFormat meta;
    meta.kind = ArchiveFormat::Kind::kPlatform;
    meta.platform = Platform::kMeta;
    Status webhook = decoder.Decode(payload, meta, &out);
    CHECK_THAT(webhook.message(), Catch::Contains("field '" + field + "': ") && Catch::Contains("over the limit of"));
  }
}
