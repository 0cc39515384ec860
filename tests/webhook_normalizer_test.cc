// The platform normalizers against the real sample payloads under
// ../shared/data/webhooks (read at test time), field by field, plus cases the
// samples do not cover.
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

TEST_CASE("Messenger text message and its fields", "[webhooks][normalize]") {
  RequireSamples();
  auto r = RunFile(Platform::kMeta, "messenger/fbmessenger_api_hs_wsTextMessageRequest.json");
  REQUIRE(r.messages.size() == 1);
  const auto& m = r.messages[0];
  const std::string f = "messenger/fbmessenger_api_hs_wsTextMessageRequest.json";
  CHECK(m.id == "fb:" + At(f, "/entry/0/messaging/0/message/mid"));
  CHECK(m.channel == "facebook");
  CHECK(m.kind == "private");
  CHECK(m.author_id == At(f, "/entry/0/messaging/0/sender/id"));
  CHECK(m.conversation_id == "fb-dm-" + At(f, "/entry/0/messaging/0/sender/id") + "-" + At(f, "/entry/0/messaging/0/recipient/id"));
  CHECK(m.in_reply_to.empty());
  CHECK(m.text == At(f, "/entry/0/messaging/0/message/text"));
  CHECK(m.created_at == FormatRfc3339(std::stoll(At(f, "/entry/0/messaging/0/timestamp"))));
  CHECK(m.followers == -1);  // Messenger does not send reach
}

TEST_CASE("Messenger reply, attachment and non-message items", "[webhooks][normalize]") {
  RequireSamples();
  auto reply = Run(Platform::kMeta, WrapMessaging("page", test::ReadFile(kDir + "messenger/meta_docs_messages_reply_message__messaging_item.json")));
  REQUIRE(reply.messages.size() == 1);
  const std::string rf = "messenger/meta_docs_messages_reply_message__messaging_item.json";
  CHECK(reply.messages[0].in_reply_to == "fb:" + At(rf, "/message/reply_to/mid"));
  CHECK(reply.messages[0].created_at == FormatRfc3339(std::stoll(At(rf, "/timestamp"))));

  std::string entry = test::ReadFile(kDir + "messenger/meta_docs_messages_attachment__entry_item.json");
  auto att = Run(Platform::kMeta, R"({"object":"page","entry":[)" + entry + "]}");
  REQUIRE(att.messages.size() == 1);
  CHECK(att.messages[0].id == "fb:" + At("messenger/meta_docs_messages_attachment__entry_item.json", "/messaging/0/message/mid"));
  CHECK(att.messages[0].text.empty());

  CHECK(RunFile(Platform::kMeta, "messenger/fbmessenger_api_hs_wsDeliveryRequest.json").ignored.at("messenger.delivery") == 1);
  CHECK(RunFile(Platform::kMeta, "messenger/fbmessenger_api_hs_wsPostbackRequest.json").ignored.at("messenger.postback") == 1);
}

TEST_CASE("Instagram DMs, story replies, unsend and comments", "[webhooks][normalize]") {
  RequireSamples();
  auto dm = RunFile(Platform::kMeta, "instagram/chatwoot_factory_instagram_message_create_event.json");
  REQUIRE(dm.messages.size() == 1);
  const std::string igf = "instagram/chatwoot_factory_instagram_message_create_event.json";
  CHECK(dm.messages[0].id == "ig:" + At(igf, "/entry/0/messaging/0/message/mid"));
  CHECK(dm.messages[0].channel == "instagram");
  CHECK(dm.messages[0].kind == "private");
  CHECK(dm.messages[0].text == At(igf, "/entry/0/messaging/0/message/text"));
  CHECK(dm.messages[0].created_at == "2021-09-08T06:34:04Z");  // "+0000" offsets are understood

  auto story = RunFile(Platform::kMeta, "instagram/chatwoot_factory_instagram_story_reply_event.json");
  REQUIRE(story.messages.size() == 1);
  CHECK(story.messages[0].text == At("instagram/chatwoot_factory_instagram_story_reply_event.json", "/entry/0/messaging/0/message/text"));

  auto unsend = RunFile(Platform::kMeta, "instagram/chatwoot_factory_instagram_message_unsend_event.json");
  CHECK(unsend.messages.empty());
  REQUIRE(unsend.events.size() == 1);
  CHECK(unsend.events[0].type == PlatformEvent::Type::kDeleted);
  CHECK(unsend.events[0].message_id == "ig:" + At("instagram/chatwoot_factory_instagram_message_unsend_event.json", "/entry/0/messaging/0/message/mid"));

  std::string change = test::ReadFile(kDir + "instagram/facebook_rs_test_comments_change_item.json");
  auto comment = Run(Platform::kMeta, R"({"object":"instagram","entry":[{"id":"1","time":1,"changes":[)" + change + "]}]}");
  REQUIRE(comment.messages.size() == 1);
  const std::string cf = "instagram/facebook_rs_test_comments_change_item.json";
  CHECK(comment.messages[0].id == "ig:" + At(cf, "/value/id"));
  CHECK(comment.messages[0].kind == "public");
  CHECK(comment.messages[0].text == At(cf, "/value/text"));
}

TEST_CASE("WhatsApp messages: text, forwarded, interactive, location, edits and deletes", "[webhooks][normalize]") {
  RequireSamples();
  auto fwd = RunFile(Platform::kMeta, "whatsapp/pywa_message__forwarded.json");
  REQUIRE(fwd.messages.size() == 1);
  const auto& m = fwd.messages[0];
  const std::string wf = "whatsapp/pywa_message__forwarded.json";
  const std::string v = "/entry/0/changes/0/value";
  CHECK(m.id == "wa:" + At(wf, v + "/messages/0/id"));
  CHECK(m.channel == "whatsapp");
  CHECK(m.kind == "private");
  CHECK(m.author_id == At(wf, v + "/messages/0/from"));
  CHECK(m.author_handle == At(wf, v + "/contacts/0/profile/name"));
  CHECK(m.followers == 0);
  CHECK(m.conversation_id == "wa-conv-" + At(wf, v + "/messages/0/from"));
  CHECK(m.text == At(wf, v + "/messages/0/text/body"));
  CHECK(m.created_at == FormatRfc3339(std::stoll(At(wf, v + "/messages/0/timestamp")) * 1000));

  auto loc = RunFile(Platform::kMeta, "whatsapp/pywa_message__chosen_location.json");
  REQUIRE(loc.messages.size() == 1);
  const std::string lf = "whatsapp/pywa_message__chosen_location.json";
  CHECK(loc.messages[0].text == At(lf, v + "/messages/0/location/name") + "\n" + At(lf, v + "/messages/0/location/address"));

  auto edit = RunFile(Platform::kMeta, "whatsapp/pywa_edited_message__image.json");
  CHECK(edit.messages.empty());
  REQUIRE(edit.events.size() == 1);
  CHECK(edit.events[0].type == PlatformEvent::Type::kEdited);
  const std::string ef = "whatsapp/pywa_edited_message__image.json";
  CHECK(edit.events[0].message_id == "wa:" + At(ef, v + "/messages/0/edit/original_message_id"));
  CHECK(edit.events[0].text == At(ef, v + "/messages/0/edit/message/image/caption"));

  auto revoke = RunFile(Platform::kMeta, "whatsapp/pywa_deleted_message__revoke.json");
  REQUIRE(revoke.events.size() == 1);
  CHECK(revoke.events[0].type == PlatformEvent::Type::kDeleted);
}

TEST_CASE("Every WhatsApp sample normalizes without error and nothing is dropped silently", "[webhooks][normalize]") {
  RequireSamples();
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(kDir + "whatsapp")) {
    if (f.path().extension() != ".json") continue;
    ++files;
    INFO(f.path().filename().string());
    auto r = Run(Platform::kMeta, test::ReadFile(f.path().string()));
    CHECK(r.messages.size() + r.events.size() + static_cast<size_t>(r.ignored_total()) > 0);
    for (const auto& m : r.messages) {
      CHECK(m.id.rfind("wa:", 0) == 0);
      CHECK(!m.created_at.empty());
      // Each normalized message is a valid archive line.
      Message parsed;
      ArchiveParser parser;
      CHECK(parser.ParseCopy(m.ToArchiveLine("Acme"), &parsed).ok());
    }
  }
  CHECK(files >= 40);
}

TEST_CASE("Every platform sample normalizes, and each message is a valid archive line", "[webhooks][normalize]") {
  RequireSamples();
  // Meta documentation fragments (a messaging item, an entry, a change) are
  // wrapped in their envelope first.
  const std::vector<std::pair<std::string, Platform>> dirs = {
      {"messenger", Platform::kMeta}, {"instagram", Platform::kMeta}, {"whatsapp", Platform::kMeta},
      {"x_twitter", Platform::kX},    {"slack", Platform::kSlack},    {"telegram", Platform::kTelegram},
      {"mastodon", Platform::kMastodon}, {"reddit", Platform::kReddit}};
  int files = 0, messages = 0, events = 0, ignored = 0;
  for (const auto& [dir, platform] : dirs) {
    for (const auto& f : std::filesystem::directory_iterator(kDir + dir)) {
      if (f.path().extension() != ".json") continue;
      std::string name = f.path().filename().string();
      std::string payload = test::ReadFile(f.path().string());
      if (name.find("__messaging_item") != std::string::npos) payload = WrapMessaging("page", payload);
      if (name.find("__entry_item") != std::string::npos) payload = R"({"object":"page","entry":[)" + payload + "]}";
      if (name.find("comments_change_item") != std::string::npos)
        payload = R"({"object":"instagram","entry":[{"changes":[)" + payload + "]}]}";
      INFO(dir << "/" << name);
      ++files;
      auto r = Run(platform, payload);
      CHECK(r.messages.size() + r.events.size() + static_cast<size_t>(r.ignored_total()) > 0);  // nothing silently dropped
      messages += static_cast<int>(r.messages.size());
      events += static_cast<int>(r.events.size());
      ignored += r.ignored_total();
      for (const auto& m : r.messages) {
        CHECK(m.id.find(':') != std::string::npos);
        CHECK(m.id.back() != ':');
        CHECK((m.kind == "public" || m.kind == "private"));
        Message parsed;
        ArchiveParser parser;
        Status st = parser.ParseCopy(m.ToArchiveLine("Acme"), &parsed);
        INFO(st.message());
        CHECK(st.ok());
      }
    }
  }
  CHECK(files >= 90);
  CHECK(messages >= 70);
  CHECK(events >= 5);
  CHECK(ignored >= 20);
}

TEST_CASE("InboundDecoder: a platform message reaches the engine as its stored archive line would parse",
          "[webhooks][normalize][decoder]") {
  // Webhooks and Kafka hand the engine views of the normalized fields (no
  // JSON round trip); replay and warm-up read the stored line. Both must be
  // the same message, field by field, or a replay would decide differently.
  RequireSamples();
  const std::vector<std::pair<std::string, Platform>> dirs = {
      {"messenger", Platform::kMeta}, {"instagram", Platform::kMeta}, {"whatsapp", Platform::kMeta},
      {"x_twitter", Platform::kX},    {"slack", Platform::kSlack},    {"telegram", Platform::kTelegram},
      {"mastodon", Platform::kMastodon}, {"reddit", Platform::kReddit}};
  InboundDecoder decoder;
  DecodedPayload out;
  ArchiveParser parser;
  int compared = 0;
  for (const auto& [dir, platform] : dirs) {
    for (const auto& f : std::filesystem::directory_iterator(kDir + dir)) {
      if (f.path().extension() != ".json") continue;
      std::string payload = test::ReadFile(f.path().string());
      ArchiveFormat format;
      format.kind = ArchiveFormat::Kind::kPlatform;
      format.platform = platform;
      if (!decoder.Decode(payload, format, &out).ok()) continue;  // fragments; covered above
      INFO(dir << "/" << f.path().filename().string());
      for (const DecodedMessage& d : out.messages) {
        Message parsed;
        REQUIRE(parser.ParseCopy(d.line, &parsed).ok());
        CHECK(d.msg.id == parsed.id);
        CHECK(d.msg.channel == parsed.channel);
        CHECK(d.msg.kind == parsed.kind);
        CHECK(d.msg.conversation_id == parsed.conversation_id);
        CHECK(d.msg.in_reply_to == parsed.in_reply_to);
        CHECK(d.msg.author.id == parsed.author.id);
        CHECK(d.msg.author.handle == parsed.author.handle);
        CHECK(d.msg.author.followers == parsed.author.followers);
        CHECK(d.msg.author.verified == parsed.author.verified);
        CHECK(d.msg.brand == parsed.brand);
        CHECK(d.msg.text == parsed.text);
        CHECK(d.msg.lang == parsed.lang);
        CHECK(d.msg.created_at == parsed.created_at);
        CHECK(d.msg.created_at_ms == parsed.created_at_ms);
        ++compared;
      }
    }
  }
  CHECK(compared >= 50);
}

TEST_CASE("X Account Activity: DMs with users, deletes, typing - v1.1 tweets and v2 objects", "[webhooks][normalize]") {
  RequireSamples();
  auto dm = RunFile(Platform::kX, "x_twitter/xdocs_aaa_direct_message_events.json");
  REQUIRE(dm.messages.size() == 1);
  const std::string xf = "x_twitter/xdocs_aaa_direct_message_events.json";
  CHECK(dm.messages[0].id == "x:dm:" + At(xf, "/direct_message_events/0/id"));
  CHECK(dm.messages[0].kind == "private");
  const std::string sender = At(xf, "/direct_message_events/0/message_create/sender_id");
  CHECK(dm.messages[0].author_handle == At(xf, "/users/" + sender + "/screen_name"));
  CHECK(std::to_string(dm.messages[0].followers) == At(xf, "/users/" + sender + "/followers_count"));
  CHECK(dm.messages[0].verified == 0);
  CHECK(dm.messages[0].text == At(xf, "/direct_message_events/0/message_create/message_data/text"));
  CHECK(dm.messages[0].created_at == FormatRfc3339(std::stoll(At(xf, "/direct_message_events/0/created_timestamp"))));

  auto del = RunFile(Platform::kX, "x_twitter/xdocs_aaa_tweet_delete_events.json");
  REQUIRE(del.events.size() == 1);
  CHECK(del.events[0].type == PlatformEvent::Type::kDeleted);
  CHECK(del.events[0].message_id == "x:" + At("x_twitter/xdocs_aaa_tweet_delete_events.json", "/tweet_delete_events/0/status/id"));

  CHECK(RunFile(Platform::kX, "x_twitter/xdocs_aaa_direct_message_indicate_typing_events.json").messages.empty());

  auto longform = RunFile(Platform::kX, "x_twitter/xdocs_aaa_tweet_create_events_longform__user_elided.json");
  REQUIRE(longform.messages.size() == 1);
  const std::string lff = "x_twitter/xdocs_aaa_tweet_create_events_longform__user_elided.json";
  CHECK(longform.messages[0].id == "x:" + At(lff, "/tweet_create_events/0/id_str"));
  CHECK(longform.messages[0].text == At(lff, "/tweet_create_events/0/extended_tweet/full_text"));  // not the truncated text
  CHECK(longform.messages[0].created_at == "2025-05-19T14:01:46Z");

  auto status = RunFile(Platform::kX, "x_twitter/tweepy_cassette_v1_1_status_object.json");
  REQUIRE(status.messages.size() == 1);
  CHECK(status.messages[0].author_handle == At("x_twitter/tweepy_cassette_v1_1_status_object.json", "/user/screen_name"));
  CHECK(status.messages[0].verified == 1);
  CHECK(status.messages[0].followers > 1000000);

  auto v2 = RunFile(Platform::kX, "x_twitter/tweepy_cassette_v2_users_mentions.json");
  CHECK(v2.messages.size() >= 5);
  for (const auto& m : v2.messages) CHECK(m.id.rfind("x:", 0) == 0);
}

TEST_CASE("An echo of the brand's own tweet or DM is a replied event, not a message", "[webhooks][normalize]") {
  auto r = Run(Platform::kX, R"({"for_user_id":"42","tweet_create_events":[
    {"id_str":"100","created_at":"Mon May 19 14:01:46 +0000 2025","text":"@cust sorry, DM us","in_reply_to_status_id_str":"99",
     "user":{"id_str":"42","screen_name":"AcmeHelp"}},
    {"id_str":"101","created_at":"Mon May 19 14:02:46 +0000 2025","text":"thanks!","user":{"id_str":"7","screen_name":"cust"}}],
    "direct_message_events":[{"type":"message_create","id":"5","created_timestamp":"1516403560557",
     "message_create":{"target":{"recipient_id":"7"},"sender_id":"42","message_data":{"text":"here to help"}}}]})");
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].id == "x:101");
  REQUIRE(r.events.size() == 2);
  CHECK(r.events[0].type == PlatformEvent::Type::kReplied);
  CHECK(r.events[0].in_reply_to == "x:99");
  CHECK(r.events[1].message_id == "x:dm:5");
}

TEST_CASE("Slack messages, file shares, URL verification and reactions", "[webhooks][normalize]") {
  RequireSamples();
  auto msg = RunFile(Platform::kSlack, "slack/bolt_python_test_message_body.json");
  REQUIRE(msg.messages.size() == 1);
  const std::string sf = "slack/bolt_python_test_message_body.json";
  CHECK(msg.messages[0].id == "slack:" + At(sf, "/event/channel") + ":" + At(sf, "/event/ts"));
  CHECK(msg.messages[0].text == At(sf, "/event/text"));
  CHECK(msg.messages[0].created_at == "2020-07-31T08:24:40.004Z");
  auto file = RunFile(Platform::kSlack, "slack/bolt_python_test_message_file_share_body.json");
  REQUIRE(file.messages.size() == 1);
  const std::string ff = "slack/bolt_python_test_message_file_share_body.json";
  CHECK(file.messages[0].text == At(ff, "/event/text") + "\n" + At(ff, "/event/files/0/title"));
  CHECK(RunFile(Platform::kSlack, "slack/bolt_python_test_url_verification.json").ignored.count("slack.url_verification") == 1);
  CHECK(RunFile(Platform::kSlack, "slack/bolt_python_test_valid_reaction_added_body.json").ignored.count("slack.event.reaction_added") == 1);
  // Schema skeletons (empty values) are not messages and not errors.
  auto skel = RunFile(Platform::kSlack, "slack/java_slack_sdk_schema_skeleton_MessagePayload.json");
  CHECK(skel.messages.empty());
  CHECK(skel.events.empty());
}

TEST_CASE("Telegram updates: message, caption, edit", "[webhooks][normalize]") {
  RequireSamples();
  auto r = RunFile(Platform::kTelegram, "telegram/aiogram_dataset_UPDATE_message.json");
  REQUIRE(r.messages.size() == 1);
  const auto& m = r.messages[0];
  const std::string tf = "telegram/aiogram_dataset_UPDATE_message.json";
  CHECK(m.id == "tg:" + At(tf, "/message/chat/id") + ":" + At(tf, "/message/message_id"));
  CHECK(m.channel == "telegram");
  CHECK(m.kind == "private");
  CHECK(m.author_handle == At(tf, "/message/from/username"));
  CHECK(m.text == At(tf, "/message/text"));
  CHECK(m.lang.empty());  // language_code is the UI language, not the message's
  CHECK(m.created_at == FormatRfc3339(std::stoll(At(tf, "/message/date")) * 1000));
  const std::string pf = "telegram/aiogram_dataset_MESSAGE_WITH_PHOTO__wrapped_in_update.json";
  CHECK(RunFile(Platform::kTelegram, pf).messages.at(0).text == At(pf, "/message/caption"));
  auto edit = RunFile(Platform::kTelegram, "telegram/aiogram_dataset_EDITED_MESSAGE__wrapped_in_update.json");
  REQUIRE(edit.events.size() == 1);
  CHECK(edit.events[0].type == PlatformEvent::Type::kEdited);
}

TEST_CASE("Mastodon status: HTML to text, reach, language - admin webhooks ignored", "[webhooks][normalize]") {
  RequireSamples();
  auto r = RunFile(Platform::kMastodon, "mastodon/mastodon_docs_entity_status.json");
  REQUIRE(r.messages.size() == 1);
  const auto& m = r.messages[0];
  const std::string mf = "mastodon/mastodon_docs_entity_status.json";
  CHECK(m.id == "ma:" + At(mf, "/id"));
  CHECK(m.author_handle == At(mf, "/account/acct"));
  CHECK(std::to_string(m.followers) == At(mf, "/account/followers_count"));
  CHECK(m.lang == "en");
  CHECK(m.text == HtmlToText(At(mf, "/content")));
  CHECK(m.text.find('<') == std::string::npos);
  CHECK(m.created_at == "2019-12-08T03:48:33.901Z");
  CHECK(RunFile(Platform::kMastodon, "mastodon/mastodon_docs_admin_webhook_report_created.json").messages.empty());
}

TEST_CASE("Reddit comments and private messages", "[webhooks][normalize]") {
  RequireSamples();
  auto c = RunFile(Platform::kReddit, "reddit/praw_cassette_api_info_comment_t1.json");
  REQUIRE(c.messages.size() == 1);
  const std::string rdf = "reddit/praw_cassette_api_info_comment_t1.json";
  CHECK(c.messages[0].id == "rd:" + At(rdf, "/data/children/0/data/name"));
  CHECK(c.messages[0].kind == "public");
  CHECK(c.messages[0].in_reply_to == "rd:" + At(rdf, "/data/children/0/data/parent_id"));
  CHECK(c.messages[0].conversation_id == "rd-conv-" + At(rdf, "/data/children/0/data/link_id"));
  CHECK(c.messages[0].text == At(rdf, "/data/children/0/data/body"));
  auto pm = RunFile(Platform::kReddit, "reddit/praw_cassette_message_private_t4.json");
  REQUIRE_FALSE(pm.messages.empty());
  CHECK(pm.messages[0].kind == "private");
}

TEST_CASE("Batched entries, missing optional fields and unknown event types", "[webhooks][normalize]") {
  // Two entries with two messages each, one item of an unknown kind.
  auto r = Run(Platform::kMeta, R"({"object":"page","entry":[
    {"id":"p","time":1,"messaging":[{"sender":{"id":"a"},"recipient":{"id":"p"},"timestamp":1000,"message":{"mid":"m1","text":"one"}},
                                    {"sender":{"id":"b"},"recipient":{"id":"p"},"timestamp":2000,"message":{"mid":"m2","text":"two"}}]},
    {"id":"p","time":2,"messaging":[{"sender":{"id":"c"},"recipient":{"id":"p"},"message":{"mid":"m3"}},
                                    {"sender":{"id":"d"},"recipient":{"id":"p"},"game_play":{}}]}]})");
  REQUIRE(r.messages.size() == 3);
  CHECK(r.messages[2].text.empty());        // no text: still a message
  CHECK(r.messages[2].created_at.empty());  // no timestamp: left empty
  CHECK(r.ignored.at("messenger.unknown") == 1);
  // An echo of the page's own message.
  auto echo = Run(Platform::kMeta, WrapMessaging("page", R"({"sender":{"id":"p"},"recipient":{"id":"a"},"timestamp":5,
      "message":{"mid":"m9","is_echo":true,"app_id":123,"text":"we are on it"}})"));
  CHECK(echo.messages.empty());
  REQUIRE(echo.events.size() == 1);
  CHECK(echo.events[0].type == PlatformEvent::Type::kReplied);
  CHECK(echo.events[0].agent == "123");
  // Unknown object, unknown Telegram update, unknown Slack event: counted, not errors.
  CHECK(Run(Platform::kMeta, R"({"object":"permissions","entry":[{}]})").ignored.count("meta.object.permissions") == 1);
  CHECK(Run(Platform::kTelegram, R"({"update_id":1,"business_connection":{}})").ignored.count("telegram.unknown") == 1);
  CHECK(Run(Platform::kSlack, R"({"type":"app_rate_limited"})").ignored.count("slack.app_rate_limited") == 1);
}

TEST_CASE("Malformed payloads are errors that say what is wrong", "[webhooks][normalize]") {
  NormalizeResult r;
  CHECK_THAT(Normalize(Platform::kMeta, "{not json", &r).message(), Catch::StartsWith("invalid JSON"));
  CHECK(Normalize(Platform::kMeta, "[1,2]", &r).message() == "the payload must be a JSON object");
  CHECK_THAT(Normalize(Platform::kMeta, R"({"entry":[]})", &r).message(), Catch::StartsWith("field 'object'"));
  CHECK_THAT(Normalize(Platform::kTelegram, R"({"message":{}})", &r).message(), Catch::StartsWith("field 'update_id'"));
  CHECK_THAT(Normalize(Platform::kX, R"({"hello":1})", &r).message(), Catch::StartsWith("not an X payload"));
  CHECK(Normalize(Platform::kSlack, "{\"type\":\"event_callback\",\"event\":\"\xff\"}", &r).message() == "invalid UTF-8");
  // Wrong types inside are tolerated field by field, not crashes.
  NormalizeResult w;
  REQUIRE(Normalize(Platform::kMeta, R"({"object":"page","entry":[{"messaging":[{"sender":7,"message":{"mid":[1],"text":{}}}]}]})", &w).ok());
  CHECK(w.messages.empty());  // no usable id: counted, not stored
  CHECK(w.ignored.at("facebook.without_id") == 1);
  NormalizeResult t;
  REQUIRE(Normalize(Platform::kMeta, R"({"object":"page","entry":[{"messaging":[{"sender":7,"message":{"mid":"ok","text":{}}}]}]})", &t).ok());
  REQUIRE(t.messages.size() == 1);
  CHECK(t.messages[0].text.empty());
}

TEST_CASE("The platform of a payload is detected from its shape", "[webhooks][normalize]") {
  CHECK(DetectPlatform(R"({"object":"page","entry":[]})") == Platform::kMeta);
  CHECK(DetectPlatform(R"({"for_user_id":"1","tweet_create_events":[]})") == Platform::kX);
  CHECK(DetectPlatform(R"({"update_id":1,"message":{}})") == Platform::kTelegram);
  CHECK(DetectPlatform(R"({"type":"event_callback","event":{}})") == Platform::kSlack);
  CHECK(DetectPlatform(R"({"kind":"Listing","data":{}})") == Platform::kReddit);
  CHECK(DetectPlatform(R"({"id":"1","content":"<p>x</p>","visibility":"public"})") == Platform::kMastodon);
  CHECK_FALSE(DetectPlatform(R"({"hello":"world"})"));
  CHECK_FALSE(DetectPlatform("garbage"));
}

TEST_CASE("Timestamps outside four-digit years are dropped, not emitted malformed (found by fuzzing)", "[webhooks][normalize]") {
  CHECK(FormatRfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339(1500) == "1970-01-01T00:00:01.500Z");
  CHECK(FormatRfc3339(-62135596800000LL + 86400000LL) == "0001-01-02T00:00:00Z");
  CHECK(FormatRfc3339(-62135596800000LL - 86400000LL).empty());  // year 0
  auto r = Run(Platform::kX, R"({"for_user_id":"1","tweet_create_events":[{"id_str":"2","text":"t",)"
                             R"("created_at":"Mon May 19 14:01:46 +0000 202,","user":{"id_str":"3"}}]})");
  REQUIRE(r.messages.size() == 1);
  Message parsed;
  ArchiveParser parser;
  CHECK(parser.ParseCopy(r.messages[0].ToArchiveLine(), &parsed).ok());
}

TEST_CASE("HTML content becomes plain text", "[webhooks][normalize]") {
  CHECK(HtmlToText("<p>Hello &amp; welcome</p><p>line<br/>two &lt;3</p>") == "Hello & welcome\nline\ntwo <3");
  CHECK(HtmlToText("no tags") == "no tags");
  CHECK(HtmlToText("broken <p") == "broken");
}

// ---------------------------------------------------------------------------
// Attachments: a DM that is only a photo has empty text (the engine reads
// text), so the archive line must say what it carried, or a person looking
// at the unrouted message sees nothing at all.

