// The chatwoot sink (runtime/outbound/chatwoot_sink.cc) against a fake
// Chatwoot that keeps contacts, conversations and messages as the
// Application API does, checks every request's method, path, token and body
// fields, and can lose an answer after doing the work (a 5xx after the
// write): a retry must find what the lost attempt made, never make it twice.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "fake_http_server.h"
#include "runtime/outbound/sink.h"

using namespace triage;
using test::FakeHttpServer;
using Reply = FakeHttpServer::Reply;

namespace {

std::string PercentDecoded(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The value of query parameter `key` in `target` ("" if absent).
std::string Query(const std::string& target, const std::string& key) {
  size_t q = target.find('?');
  if (q == std::string::npos) return "";
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    if (pair.substr(0, key.size() + 1) == key + "=") return PercentDecoded(pair.substr(key.size() + 1));
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return "";
}

class FakeChatwoot {
 public:
  static constexpr int64_t kInbox = 5;
  struct Contact {
    int64_t id;
    std::string identifier, name;
  };
  struct Conversation {
    int64_t id, contact;
    std::string triage_conversation;
    std::vector<std::string> messages;
    std::vector<std::string> labels;
    int64_t team = 0;
    std::string priority;
  };

  FakeChatwoot() : server_([this](const FakeHttpServer::Request& r) { return Handle(r); }) {}

  std::string Url() const { return server_.Url("/"); }
  const FakeHttpServer& server() const { return server_; }
  void AddContact(const std::string& identifier, const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    contacts_.push_back({next_id_++, identifier, name});
  }
  // The next request of `kind` ("POST conversations", ...) is done, then
  // answered `status`: its answer is lost.
  void LoseAnswer(const std::string& kind, unsigned status) {
    std::lock_guard<std::mutex> l(mu_);
    lose_[kind] = status;
  }
  // The next contact search finds nothing (another thread creates the
  // contact between a search and a create).
  void HideContactsOnce() {
    std::lock_guard<std::mutex> l(mu_);
    hide_contacts_ = true;
  }
  std::vector<Contact> contacts() const {
    std::lock_guard<std::mutex> l(mu_);
    return contacts_;
  }
  std::vector<Conversation> conversations() const {
    std::lock_guard<std::mutex> l(mu_);
    return conversations_;
  }
  std::vector<std::string> violations() const {
    std::lock_guard<std::mutex> l(mu_);
    return violations_;
  }
  // "GET contacts/search", ... of every request, in order.
  std::vector<std::string> kinds() const {
    std::lock_guard<std::mutex> l(mu_);
    return kinds_;
  }

 private:
  Reply Answer(unsigned status, std::string body) {
    Reply r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  Reply Violation(const std::string& what) {
    violations_.push_back(what);
    return Answer(400, "{\"error\":\"" + what + "\"}");
  }

  Reply Handle(const FakeHttpServer::Request& req) {
    std::lock_guard<std::mutex> l(mu_);
    const std::string prefix = "/api/v1/accounts/3/";
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path.rfind(prefix, 0) != 0) return Violation("path outside account 3: " + req.target);
    path = path.substr(prefix.size());
    if (req.Header("api_access_token") != "tok3n") return Violation("api_access_token missing on " + req.target);
    if (req.Header("x-triage-delivery").empty()) return Violation("X-Triage-Delivery missing on " + req.target);
    simdjson::dom::element body;
    if (req.method == "POST") {
      if (req.Header("content-type") != "application/json") return Violation("POST without JSON: " + req.target);
      if (parser_.parse(simdjson::padded_string(req.body)).get(body)) return Violation("not JSON: " + req.body);
    } else if (req.method != "GET") {
      return Violation("method " + req.method);
    }
    // The route: contacts/search, contacts, contacts/{id}/conversations,
    // conversations, conversations/{id}/{messages|labels|assignments|toggle_priority}.
    std::vector<std::string> parts;
    for (size_t at = 0; at <= path.size();) {
      size_t slash = path.find('/', at);
      parts.push_back(path.substr(at, slash == std::string::npos ? std::string::npos : slash - at));
      if (slash == std::string::npos) break;
      at = slash + 1;
    }
    std::string kind = req.method + " " + (parts.size() == 3 ? parts[0] + "/" + parts[2] : path);
    if (parts.size() == 2 && parts[0] == "contacts") kind = req.method + " " + path;
    if (parts.size() == 3 && parts[0] == "conversations") kind = req.method + " " + parts[2];
    kinds_.push_back(kind);
    Reply reply = Route(req, kind, parts, body);
    if (auto it = lose_.find(kind); it != lose_.end() && reply.status < 300) {
      reply = Answer(it->second, "{\"error\":\"injected\"}");
      lose_.erase(it);
    }
    return reply;
  }

  std::string ContactJson(const Contact& c) const {
    std::string j = "{\"id\":" + std::to_string(c.id) + ",\"identifier\":";
    AppendJsonString(c.identifier, &j);
    j += ",\"name\":";
    AppendJsonString(c.name, &j);
    j += ",\"contact_inboxes\":[{\"source_id\":\"src-" + std::to_string(c.id) + "\",\"inbox\":{\"id\":" +
         std::to_string(kInbox) + "}}]}";
    return j;
  }

  Conversation* FindConversation(const std::string& id) {
    for (auto& c : conversations_)
      if (std::to_string(c.id) == id) return &c;
    return nullptr;
  }

  Reply Route(const FakeHttpServer::Request& req, const std::string& kind, const std::vector<std::string>& parts,
              simdjson::dom::element body) {
    auto str = [&](const char* key) {
      std::string_view s;
      return body[key].get_string().get(s) ? std::string("\x01") : std::string(s);
    };
    auto num = [&](const char* key) {
      int64_t n = -1;
      return body[key].get_int64().get(n) ? int64_t{-1} : n;
    };
    if (kind == "GET contacts/search") {
      const std::string q = Query(req.target, "q");
      const std::string page = Query(req.target, "page");
      if (q.empty() || page.empty()) return Violation("search without q or page: " + req.target);
      std::vector<const Contact*> found;
      if (!hide_contacts_)
        for (const auto& c : contacts_)
          if (c.identifier.find(q) != std::string::npos || c.name.find(q) != std::string::npos) found.push_back(&c);
      hide_contacts_ = false;
      // 15 a page, as Chatwoot's search.
      std::string j = "{\"meta\":{\"count\":" + std::to_string(found.size()) + "},\"payload\":[";
      const size_t first = (std::stoul(page) - 1) * 15;
      for (size_t i = first; i < found.size() && i < first + 15; ++i) j += (i > first ? "," : "") + ContactJson(*found[i]);
      return Answer(200, j + "]}");
    }
    if (kind == "POST contacts") {
      const std::string identifier = str("identifier"), name = str("name");
      if (num("inbox_id") != kInbox || identifier.empty() || identifier == "\x01" || name == "\x01")
        return Violation("contact body: " + req.body);
      for (const auto& c : contacts_)
        if (c.identifier == identifier) return Answer(422, "{\"message\":\"Identifier has already been taken\"}");
      contacts_.push_back({next_id_++, identifier, name});
      return Answer(200, "{\"payload\":{\"contact\":" + ContactJson(contacts_.back()) + ",\"contact_inbox\":{\"source_id\":\"src-" +
                             std::to_string(contacts_.back().id) + "\"}}}");
    }
    if (kind == "GET contacts/conversations") {
      std::string j = "{\"payload\":[";
      bool first = true;
      for (const auto& c : conversations_) {
        if (std::to_string(c.contact) != parts[1]) continue;
        j += std::string(first ? "" : ",") + "{\"id\":" + std::to_string(c.id) + ",\"inbox_id\":" +
             std::to_string(kInbox) + ",\"status\":\"open\",\"custom_attributes\":{\"triage_conversation\":";
        AppendJsonString(c.triage_conversation, &j);
        j += "}}";
        first = false;
      }
      return Answer(200, j + "]}");
    }
    if (kind == "POST conversations") {
      const int64_t contact = num("contact_id");
      bool known = std::any_of(contacts_.begin(), contacts_.end(), [&](const Contact& c) { return c.id == contact; });
      simdjson::dom::element attrs;
      std::string_view triage;
      if (num("inbox_id") != kInbox || !known || str("status") != "open" ||
          str("source_id") != "src-" + std::to_string(contact) || body["custom_attributes"].get(attrs) ||
          attrs["triage_conversation"].get_string().get(triage))
        return Violation("conversation body: " + req.body);
      conversations_.push_back({next_id_++, contact, std::string(triage), {}, {}, 0, ""});
      return Answer(200, "{\"id\":" + std::to_string(conversations_.back().id) + ",\"account_id\":3,\"inbox_id\":" +
                             std::to_string(kInbox) + "}");
    }
    Conversation* conv = parts.size() == 3 ? FindConversation(parts[1]) : nullptr;
    if (!conv) return Answer(404, "{\"error\":\"no such conversation\"}");
    if (kind == "GET messages") {
      std::string j = "{\"meta\":{},\"payload\":[";
      for (size_t i = 0; i < conv->messages.size(); ++i) {
        j += std::string(i ? "," : "") + "{\"id\":" + std::to_string(100 + i) + ",\"message_type\":0,\"content\":";
        AppendJsonString(conv->messages[i], &j);
        j += "}";
      }
      return Answer(200, j + "]}");
    }
    if (kind == "POST messages") {
      bool is_private = true;
      if (str("content") == "\x01" || str("message_type") != "incoming" || body["private"].get_bool().get(is_private) ||
          is_private)
        return Violation("message body: " + req.body);
      conv->messages.push_back(str("content"));
      return Answer(200, "{\"id\":" + std::to_string(99 + conv->messages.size()) + "}");
    }
    if (kind == "POST labels") {
      simdjson::dom::array list;
      if (body["labels"].get_array().get(list)) return Violation("labels body: " + req.body);
      conv->labels.clear();
      for (simdjson::dom::element el : list) conv->labels.emplace_back(el.get_string().value());
      return Answer(200, "{}");
    }
    if (kind == "POST assignments") {
      if ((conv->team = num("team_id")) < 0) return Violation("assignment body: " + req.body);
      return Answer(200, "{}");
    }
    if (kind == "POST toggle_priority") {
      conv->priority = str("priority");
      if (conv->priority == "\x01") return Violation("priority body: " + req.body);
      return Answer(200, "{}");
    }
    return Violation("unknown route " + kind);
  }

  mutable std::mutex mu_;  // guards everything below, and the parser
  simdjson::dom::parser parser_;
  std::vector<Contact> contacts_;
  std::vector<Conversation> conversations_;
  int64_t next_id_ = 40;
  std::map<std::string, unsigned> lose_;
  bool hide_contacts_ = false;
  std::vector<std::string> violations_;
  std::vector<std::string> kinds_;
  FakeHttpServer server_;  // last: its threads stop before the state goes
};

SinkConfig Chatwoot(const std::string& url, bool with_inbox = true) {
  SinkConfig c;
  c.name = "cw";
  c.type = "chatwoot";
  c.url = url;
  c.secret = "tok3n";
  c.timeout_seconds = 5;
  c.settings = {{"account_id", "3"}, {"team_id", "12"}};
  if (with_inbox) c.settings["inbox_id"] = std::to_string(FakeChatwoot::kInbox);
  return c;
}

// A message from X by author `author_id` (@ann), routed to support.
OutboxEntry FromX(const std::string& id, const std::string& conversation, uint64_t seq, const std::string& text,
                  const std::string& author_id = "ann") {
  OutboxEntry e;
  e.sink = "cw";
  e.seq = seq;
  e.kind = "message";
  e.subject = id;
  e.conversation = conversation;
  e.event = "routed";
  e.queue = "support";
  e.priority = Priority::kUrgent;
  e.delivery_id = "cw:" + std::to_string(seq);
  e.payload = "{\"message\":{\"id\":\"" + id + "\",\"channel\":\"x\",\"conversation_id\":\"" + conversation +
              "\",\"text\":\"" + text + "\",\"author\":{\"id\":\"" + author_id +
              "\",\"handle\":\"@ann\"}},\"decision\":{\"label\":\"support\"}}";
  return e;
}

std::unique_ptr<Sink> Make(const SinkConfig& c) {
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  return sink;
}

}  // namespace

TEST_CASE("chatwoot: a Chatwoot conversation gets labels, team and priority in place, with the access token",
          "[outbound]") {
  FakeHttpServer server;
  auto sink = Make(Chatwoot(server.Url("/")));
  OutboxEntry e = FromX("cw:1:77", "chatwoot:881", 7, "my order is late");
  REQUIRE(sink->Deliver(e).kind == DeliveryOutcome::Kind::kDelivered);
  auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[0].target == "/api/v1/accounts/3/conversations/881/labels");
  CHECK(reqs[0].body == "{\"labels\":[\"support\",\"support\"]}");
  CHECK(reqs[1].target == "/api/v1/accounts/3/conversations/881/assignments");
  CHECK(reqs[1].body == "{\"team_id\":12}");
  CHECK(reqs[2].target == "/api/v1/accounts/3/conversations/881/toggle_priority");
  CHECK(reqs[2].body == "{\"priority\":\"urgent\"}");
  for (const auto& r : reqs) {
    CHECK(r.method == "POST");
    CHECK(r.Header("api_access_token") == "tok3n");
    CHECK(r.Header("content-type") == "application/json");
    CHECK(r.Header("x-triage-delivery") == "cw:7");
  }
  // Without settings.inbox_id another platform's message has nowhere to go:
  // rejected, naming the setting, without a request.
  auto no_inbox = Make(Chatwoot(server.Url("/"), false));
  DeliveryOutcome o = no_inbox->Deliver(FromX("m1", "x-thread-9", 8, "hello"));
  CHECK(o.kind == DeliveryOutcome::Kind::kReject);
  CHECK_THAT(o.error, Catch::Contains("'x-thread-9' is not a Chatwoot conversation id") &&
                          Catch::Contains("settings.inbox_id is not set"));
  CHECK(server.count() == 3);
}

TEST_CASE("chatwoot: another platform's conversation is created once - contact, conversation, message - through "
          "lost answers, and its later messages are appended",
          "[outbound]") {
  FakeChatwoot cw;
  cw.AddContact("x:ann2", "someone else");  // what a substring search for x:ann also finds
  auto sink = Make(Chatwoot(cw.Url()));

  // The conversation is made, but its answer is lost: the retry finds it.
  cw.LoseAnswer("POST conversations", 500);
  OutboxEntry first = FromX("x:1", "x-thread-9", 7, "where is my refund");
  DeliveryOutcome o = sink->Deliver(first);
  CHECK(o.kind == DeliveryOutcome::Kind::kRetry);
  CHECK_THAT(o.error, Catch::Contains("POST " + cw.Url() + "api/v1/accounts/3/conversations: HTTP 500"));
  REQUIRE(sink->Deliver(first).kind == DeliveryOutcome::Kind::kDelivered);
  INFO(Catch::Detail::stringify(cw.violations()));
  CHECK(cw.violations().empty());
  auto contacts = cw.contacts();
  REQUIRE(contacts.size() == 2);
  CHECK(contacts[1].identifier == "x:ann");
  CHECK(contacts[1].name == "@ann");
  auto convs = cw.conversations();
  REQUIRE(convs.size() == 1);
  CHECK(convs[0].contact == contacts[1].id);
  CHECK(convs[0].triage_conversation == "x-thread-9");
  REQUIRE(convs[0].messages.size() == 1);
  CHECK_THAT(convs[0].messages[0], Catch::StartsWith("where is my refund\n\nx / @ann, message x:1, routed to support") &&
                                       Catch::EndsWith("triage delivery cw:7"));
  CHECK(convs[0].labels == std::vector<std::string>{"support", "support"});
  CHECK(convs[0].team == 12);
  CHECK(convs[0].priority == "urgent");
  // The first attempt searched (the exact identifier, paged), created the
  // contact and the conversation; the second found both and added the message.
  std::vector<std::string> expected = {"GET contacts/search",       "POST contacts",        "GET contacts/conversations",
                                       "POST conversations",        "GET contacts/search",  "GET contacts/conversations",
                                       "GET messages",              "POST messages",        "POST labels",
                                       "POST assignments",          "POST toggle_priority"};
  CHECK(cw.kinds() == expected);
  CHECK(cw.server().requests()[0].target == "/api/v1/accounts/3/contacts/search?q=x%3Aann&page=1");

  // A later message of the conversation, whose answer is lost too: appended once.
  cw.LoseAnswer("POST messages", 502);
  OutboxEntry second = FromX("x:2", "x-thread-9", 8, "still waiting");
  CHECK(sink->Deliver(second).kind == DeliveryOutcome::Kind::kRetry);
  REQUIRE(sink->Deliver(second).kind == DeliveryOutcome::Kind::kDelivered);
  // Delivered again whole (a crash before the outbox entry was removed):
  // nothing is added; a failing label call is retried like any other.
  cw.LoseAnswer("POST labels", 503);
  CHECK(sink->Deliver(second).kind == DeliveryOutcome::Kind::kRetry);
  REQUIRE(sink->Deliver(second).kind == DeliveryOutcome::Kind::kDelivered);
  convs = cw.conversations();
  REQUIRE(convs.size() == 1);
  REQUIRE(convs[0].messages.size() == 2);
  CHECK_THAT(convs[0].messages[1], Catch::StartsWith("still waiting") && Catch::EndsWith("triage delivery cw:8"));

  // Another conversation of the same author: the same contact, a conversation of its own.
  REQUIRE(sink->Deliver(FromX("x:3", "x-thread-10", 9, "and a second order")).kind == DeliveryOutcome::Kind::kDelivered);
  CHECK(cw.contacts().size() == 2);
  convs = cw.conversations();
  REQUIRE(convs.size() == 2);
  CHECK(convs[1].triage_conversation == "x-thread-10");
  CHECK(convs[1].contact == contacts[1].id);
  CHECK(convs[1].messages.size() == 1);
  CHECK(cw.violations().empty());
}

TEST_CASE("chatwoot: a contact found past the first search page, or made meanwhile by another delivery, is used - "
          "never made twice",
          "[outbound]") {
  FakeChatwoot cw;
  for (int i = 0; i < 20; ++i) cw.AddContact("x:bob" + std::to_string(i), "bob " + std::to_string(i));
  cw.AddContact("x:bob", "@bob");  // the 21st match of q=x:bob: on page 2
  auto sink = Make(Chatwoot(cw.Url()));
  REQUIRE(sink->Deliver(FromX("x:1", "t-1", 7, "hi", "bob")).kind == DeliveryOutcome::Kind::kDelivered);
  CHECK(cw.contacts().size() == 21);
  REQUIRE(cw.conversations().size() == 1);
  CHECK(cw.conversations()[0].contact == cw.contacts()[20].id);

  // Between this delivery's search and its create, another made the contact:
  // the create is a 422 and the contact is looked up again.
  cw.AddContact("x:carol", "@carol");
  cw.HideContactsOnce();
  REQUIRE(sink->Deliver(FromX("x:2", "t-2", 8, "hello", "carol")).kind == DeliveryOutcome::Kind::kDelivered);
  CHECK(cw.contacts().size() == 22);
  REQUIRE(cw.conversations().size() == 2);
  CHECK(cw.conversations()[1].contact == cw.contacts()[21].id);
  INFO(Catch::Detail::stringify(cw.violations()));
  CHECK(cw.violations().empty());
}
