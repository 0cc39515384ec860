// Outbound delivery (runtime/outbound/): every subscribed message and alert
// reaches its sinks, in order per conversation, signed, with a stable
// idempotency key; failures are retried with backoff (Retry-After honoured)
// and end as dead letters; a sink that is down holds up nothing else. Each
// sink talks to a local fake receiver (fake_http_server.h).
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include <atomic>
#include <future>
#include <map>
#include <set>

#include "connectors/webhooks/signature.h"
#include "engine/store/queue_store.h"
#include "fake_http_server.h"
#include "runtime/outbound/delivery.h"
#include "test_util.h"
#include "tls_test_util.h"

using namespace triage;
using test::FakeHttpServer;
using Reply = FakeHttpServer::Reply;

namespace {

std::unique_ptr<QueueStore> Open(const std::string& dir) {
  std::unique_ptr<QueueStore> s;
  Status st = QueueStore::Open(dir, QueueStoreOptions(), &s);
  INFO(st.message());
  REQUIRE(st.ok());
  return s;
}

SinkConfig Config(const std::string& name, const std::string& type, const std::string& url) {
  SinkConfig c;
  c.name = name;
  c.type = type;
  c.url = url;
  c.queues = {"support"};
  c.alerts = {"opened", "closed"};
  c.secret = "s3cret";
  c.backoff_initial_ms = 5;
  c.backoff_max_ms = 50;
  c.timeout_seconds = 2;
  return c;
}

IngestItem Item(const std::string& id, const std::string& conversation, Priority p = Priority::kUrgent,
                const std::string& queue = "support") {
  return IngestItem{id,
                    "{\"id\":\"" + id + "\",\"channel\":\"x\",\"text\":\"help with order " + id +
                        "\",\"author\":{\"handle\":\"@ann\"}}",
                    "{\"id\":\"" + id + "\",\"label\":\"support\"}", queue, p, conversation};
}

void Ingest(QueueStore* store, std::vector<IngestItem> items) {
  std::vector<IngestOutcome> out;
  Status st = store->IngestSync(std::move(items), &out);
  INFO(st.message());
  REQUIRE(st.ok());
}

Status IngestAlert(QueueStore* store, const std::string& id, const std::string& json) {
  std::promise<Status> p;
  store->Ingest({}, {AlertRecord{id, json}}, [&p](Status s, std::vector<IngestResult>) { p.set_value(s); });
  return p.get_future().get();
}

// The message id in a webhook body ({"message": {"id": ...}, ...}).
std::string MessageId(const std::string& body) {
  auto at = body.find("{\"message\":{\"id\":\"");
  if (at == std::string::npos) return "";
  at += 18;
  return body.substr(at, body.find('"', at) - at);
}

// Waits until the outbox of `sink` is empty (everything delivered or dead)
// and the writes that emptied it are readable: the counts move when the
// writer applies a removal, a moment before its group is written, so a
// no-op submitted after them completes only once they are.
bool Drained(QueueStore* store, const std::string& sink) {
  for (int i = 0; i < 3000; ++i) {
    if (store->OutboxDepths()[sink].pending == 0) {
      std::promise<Status> barrier;
      store->OutboxDelivered("no-such-sink", 0, [&barrier](Status s) { barrier.set_value(s); });
      return barrier.get_future().get().ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace

TEST_CASE("Webhook deliveries are signed, keyed, complete and in order per conversation", "[outbound]") {
  test::TempDir dir;
  FakeHttpServer server;
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig c = Config("hook", "webhook", server.Url("/in"));
  c.concurrency = 4;
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  out.Add(c, std::move(sink));
  out.Start();
  // 5 conversations, 12 messages each, interleaved; one sales message that
  // the sink does not subscribe to.
  std::vector<IngestItem> items;
  for (int i = 0; i < 60; ++i) items.push_back(Item("m" + std::to_string(i), "c" + std::to_string(i % 5)));
  items.push_back(Item("other", "c9", Priority::kNormal, "sales"));
  Ingest(store.get(), std::move(items));
  REQUIRE(server.WaitFor([](const auto& r) { return r.size() >= 60; }));
  REQUIRE(Drained(store.get(), "hook"));
  auto reqs = server.requests();
  std::set<std::string> ids, keys;
  std::map<std::string, int> last_in_conversation;
  for (const auto& r : reqs) {
    CHECK(r.method == "POST");
    CHECK(r.target == "/in");
    CHECK(r.Header("content-type") == "application/json");
    CHECK(r.Header("x-triage-signature-256") == "sha256=" + HexEncode(HmacSha256("s3cret", r.body)));
    CHECK(r.Header("x-triage-event") == "message.routed");
    const std::string key = r.Header("x-triage-delivery");
    CHECK(key.rfind("hook:", 0) == 0);
    keys.insert(key);
    std::string id = MessageId(r.body);
    REQUIRE(!id.empty());
    CHECK(r.body.find("\"decision\":{\"id\":\"" + id + "\"") != std::string::npos);
    ids.insert(id);
    int n = std::stoi(id.substr(1));
    std::string conv = "c" + std::to_string(n % 5);
    auto last = last_in_conversation.find(conv);
    if (last != last_in_conversation.end()) CHECK(n > last->second);  // in order within a conversation
    last_in_conversation[conv] = n;
  }
  CHECK(reqs.size() == 60);  // a healthy receiver gets each once
  CHECK(ids.size() == 60);
  CHECK(keys.size() == 60);
  CHECK(ids.count("other") == 0);
  std::string metrics;
  out.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("triage_outbound_deliveries_total{sink=\"hook\",result=\"delivered\"} 60"));
  CHECK_THAT(metrics, Catch::Contains("triage_outbound_outbox_depth{sink=\"hook\"} 0"));
}

TEST_CASE("429 with Retry-After, 5xx, resets and timeouts are retried until delivered", "[outbound]") {
  test::TempDir dir;
  std::mutex mu;
  std::map<std::string, int> seen;  // delivery id -> attempts so far
  FakeHttpServer server([&](const FakeHttpServer::Request& r) {
    std::lock_guard<std::mutex> l(mu);
    int n = ++seen[r.Header("x-triage-delivery")];
    Reply reply;
    if (n == 1) reply.status = 503;
    else if (n == 2) {
      reply.status = 429;
      reply.headers = {{"Retry-After", "1"}};
    } else if (n == 3) reply.action = Reply::Action::kReset;
    else if (n == 4) {
      reply.action = Reply::Action::kHang;
      reply.hang_ms = 1500;
    }
    return reply;
  });
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig c = Config("hook", "webhook", server.Url());
  c.timeout_seconds = 1;
  c.concurrency = 2;
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  out.Add(c, std::move(sink));
  out.Start();
  Ingest(store.get(), {Item("a", "c1"), Item("b", "c1"), Item("c", "c2")});
  REQUIRE(Drained(store.get(), "hook"));
  auto reqs = server.requests();
  // Per delivery: 503, 429, reset, timeout, then 200; the same key on each.
  std::map<std::string, std::vector<std::string>> attempts;
  std::map<std::string, size_t> first_index, last_index;
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::string id = MessageId(reqs[i].body);
    attempts[id].push_back(reqs[i].Header("x-triage-delivery"));
    if (!first_index.count(id)) first_index[id] = i;
    last_index[id] = i;
  }
  REQUIRE(attempts.size() == 3);
  for (const auto& [id, keys] : attempts) {
    CHECK(keys.size() == 5);
    CHECK(std::set<std::string>(keys.begin(), keys.end()).size() == 1);
  }
  // b waited for a (same conversation): its first attempt came after a's last.
  CHECK(first_index["b"] > last_index["a"]);
  std::string metrics;
  out.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("result=\"retried\"} 12"));
  CHECK_THAT(metrics, Catch::Contains("result=\"delivered\"} 3"));
}

TEST_CASE("Retry-After is honoured: the next attempt waits at least that long", "[outbound]") {
  // Asserts an order of events, not a speed: the retry is not sent before
  // the time the receiver asked for has passed.
  test::TempDir dir;
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> at;
  FakeHttpServer server([&](const FakeHttpServer::Request&) {
    std::lock_guard<std::mutex> l(mu);
    at.push_back(std::chrono::steady_clock::now());
    Reply reply;
    if (at.size() == 1) {
      reply.status = 429;
      reply.headers = {{"Retry-After", "2"}};
    }
    return reply;
  });
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig c = Config("hook", "webhook", server.Url());
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  out.Add(c, std::move(sink));
  out.Start();
  Ingest(store.get(), {Item("a", "c1")});
  REQUIRE(Drained(store.get(), "hook"));
  std::lock_guard<std::mutex> l(mu);
  REQUIRE(at.size() == 2);
  CHECK(at[1] - at[0] >= std::chrono::milliseconds(2000));
}

TEST_CASE("A sink that stays down fills only its own dead letters - the others and ingest go on", "[outbound]") {
  test::TempDir dir;
  std::atomic<bool> down{true};
  FakeHttpServer dead_server([&](const FakeHttpServer::Request&) {
    Reply r;
    if (down) r.status = 500;
    return r;
  });
  FakeHttpServer good_server;
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig dead = Config("down", "webhook", dead_server.Url());
  dead.max_attempts = 3;
  SinkConfig good = Config("up", "webhook", good_server.Url());
  good.alerts.clear();
  for (SinkConfig* c : {&dead, &good}) {
    std::unique_ptr<Sink> sink;
    REQUIRE(MakeSink(*c, &sink).ok());
    out.Add(*c, std::move(sink));
  }
  out.Start();
  for (int b = 0; b < 10; ++b) {
    std::vector<IngestItem> items;
    for (int i = 0; i < 10; ++i) items.push_back(Item("m" + std::to_string(b * 10 + i), "c" + std::to_string(i)));
    Ingest(store.get(), std::move(items));
  }
  REQUIRE(IngestAlert(store.get(), "al1", "{\"type\":\"crisis_alert\",\"alert\":\"al1\",\"topic\":\"fire\",\"closed_at\":null}").ok());
  REQUIRE(good_server.WaitFor([](const auto& r) { return r.size() >= 100; }));
  REQUIRE(Drained(store.get(), "down"));
  REQUIRE(Drained(store.get(), "up"));
  CHECK(good_server.count() == 100);
  CHECK(store->OutboxDepths()["down"].dead == 101);
  CHECK(store->OutboxDepths()["up"].dead == 0);
  CHECK(dead_server.count() == 303);  // max_attempts each
  std::string json;
  REQUIRE(out.DeadLettersJson("down", 1000, &json).ok());
  CHECK_THAT(json, Catch::Contains("\"attempts\":3"));
  CHECK_THAT(json, Catch::Contains("HTTP 500"));
  CHECK_THAT(json, Catch::Contains("\"kind\":\"alert\",\"event\":\"opened\",\"subject\":\"al1\""));
  CHECK(out.DeadLettersJson("nope", 10, &json).code() == Status::Code::kNotFound);
  // The receiver is back: a retried dead letter is delivered with its old key.
  std::vector<DeadLetter> letters;
  REQUIRE(store->DeadLetters("down", 1, &letters).ok());
  REQUIRE(letters.size() == 1);
  down = false;
  std::promise<Status> p;
  out.Retry("down", letters[0].entry.seq, [&p](Status s) { p.set_value(s); });
  REQUIRE(p.get_future().get().ok());
  REQUIRE(dead_server.WaitFor([](const auto& r) { return r.size() >= 304; }));
  REQUIRE(Drained(store.get(), "down"));
  CHECK(dead_server.requests().back().Header("x-triage-delivery") == letters[0].entry.delivery_id);
  CHECK(store->OutboxDepths()["down"].dead == 100);
  std::string metrics;
  out.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("triage_outbound_dead_letters{sink=\"down\"} 100"));
  CHECK_THAT(metrics, Catch::Contains("triage_outbound_deliveries_total{sink=\"down\",result=\"dead_lettered\"} 101"));
}

TEST_CASE("A 4xx other than 408 and 429 is a dead letter at once", "[outbound]") {
  test::TempDir dir;
  FakeHttpServer server([](const FakeHttpServer::Request&) {
    Reply r;
    r.status = 422;
    r.body = "{\"error\":\"bad\"}";
    return r;
  });
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig c = Config("hook", "webhook", server.Url());
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  out.Add(c, std::move(sink));
  out.Start();
  Ingest(store.get(), {Item("a", "c1")});
  REQUIRE(Drained(store.get(), "hook"));
  CHECK(server.count() == 1);
  std::vector<DeadLetter> letters;
  REQUIRE(store->DeadLetters("hook", 10, &letters).ok());
  REQUIRE(letters.size() == 1);
  CHECK_THAT(letters[0].error, Catch::Contains("HTTP 422"));
}

TEST_CASE("Undelivered entries wait in the outbox across a restart and go out after it", "[outbound]") {
  test::TempDir dir;
  FakeHttpServer server;
  {
    auto store = Open(dir.path());
    Outbound out(store.get(), nullptr);
    SinkConfig c = Config("hook", "webhook", "http://127.0.0.1:1/");  // nothing listens
    c.backoff_initial_ms = 60'000;
    c.backoff_max_ms = 60'000;
    std::unique_ptr<Sink> sink;
    REQUIRE(MakeSink(c, &sink).ok());
    out.Add(c, std::move(sink));
    out.Start();
    Ingest(store.get(), {Item("a", "c1"), Item("b", "c2")});
    out.Stop();
    CHECK(store->OutboxDepths()["hook"].pending == 2);
  }
  auto store = Open(dir.path());
  Outbound out(store.get(), nullptr);
  SinkConfig c = Config("hook", "webhook", server.Url());
  std::unique_ptr<Sink> sink;
  REQUIRE(MakeSink(c, &sink).ok());
  out.Add(c, std::move(sink));
  out.Start();
  REQUIRE(Drained(store.get(), "hook"));
  std::set<std::string> ids;
  for (const auto& r : server.requests()) ids.insert(MessageId(r.body));
  CHECK(ids == std::set<std::string>{"a", "b"});
}

TEST_CASE("HTTPS receivers: the certificate is checked against ca_file - an unknown CA or another host name gets "
          "nothing, is retried, then a dead letter naming the TLS failure, tls_verify false is the only way past",
          "[outbound][tls]") {
  test::TempDir dir;
  const std::string d = dir.path() + "/";
  REQUIRE(test::WriteSelfSignedCertificate(d + "receiver.pem", d + "receiver.key", "receiver"));
  REQUIRE(test::WriteSelfSignedCertificate(d + "other.pem", d + "other.key", "someone else"));
  REQUIRE(test::WriteSelfSignedCertificate(d + "misnamed.pem", d + "misnamed.key", "elsewhere", "DNS:elsewhere.example"));
  FakeHttpServer receiver(nullptr, {d + "receiver.pem", d + "receiver.key"});
  FakeHttpServer misnamed(nullptr, {d + "misnamed.pem", d + "misnamed.key"});
  REQUIRE(receiver.Url("/in").rfind("https://127.0.0.1:", 0) == 0);
  auto store = Open(d + "db");
  Outbound out(store.get(), nullptr);
  SinkConfig trusted = Config("trusted", "webhook", receiver.Url("/in"));
  trusted.ca_file = d + "receiver.pem";
  SinkConfig unknown = Config("unknown", "webhook", receiver.Url("/in"));  // another CA
  unknown.ca_file = d + "other.pem";
  unknown.max_attempts = 3;
  SinkConfig system = Config("system", "webhook", receiver.Url("/in"));  // the system's CAs
  system.max_attempts = 2;
  SinkConfig host = Config("host", "webhook", misnamed.Url("/in"));  // the right CA, not for 127.0.0.1
  host.ca_file = d + "misnamed.pem";
  host.max_attempts = 2;
  SinkConfig unverified = Config("unverified", "webhook", misnamed.Url("/in"));
  unverified.tls_verify = false;
  for (SinkConfig* c : {&trusted, &unknown, &system, &host, &unverified}) {
    std::unique_ptr<Sink> sink;
    REQUIRE(MakeSink(*c, &sink).ok());
    out.Add(*c, std::move(sink));
  }
  out.Start();
  Ingest(store.get(), {Item("m1", "c1")});
  for (const char* sink : {"trusted", "unknown", "system", "host", "unverified"}) REQUIRE(Drained(store.get(), sink));

  // The trusted sink's request is the only one the receiver read; every
  // attempt of the others stopped at the handshake, before a byte of it.
  auto reqs = receiver.requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].Header("x-triage-delivery").rfind("trusted:", 0) == 0);
  CHECK(MessageId(reqs[0].body) == "m1");
  REQUIRE(misnamed.count() == 1);
  CHECK(misnamed.requests()[0].Header("x-triage-delivery").rfind("unverified:", 0) == 0);
  // The server counts a failed handshake when the client hangs up on it.
  for (int i = 0; i < 500 && (receiver.tls_failures() < 5 || misnamed.tls_failures() < 2); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(receiver.tls_failures() == 5);  // unknown: 3 attempts, system: 2
  CHECK(misnamed.tls_failures() == 2);
  CHECK(store->OutboxDepths()["trusted"].dead == 0);
  CHECK(store->OutboxDepths()["unverified"].dead == 0);
  for (const auto& [sink, attempts] : {std::pair<std::string, int>{"unknown", 3}, {"system", 2}, {"host", 2}}) {
    INFO(sink);
    std::vector<DeadLetter> letters;
    REQUIRE(store->DeadLetters(sink, 10, &letters).ok());
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].attempts == static_cast<uint32_t>(attempts));
    CHECK_THAT(letters[0].error, Catch::Contains("TLS handshake: certificate verify failed"));
  }
  std::string metrics;
  out.AppendMetrics(&metrics);
  CHECK_THAT(metrics, Catch::Contains("triage_outbound_deliveries_total{sink=\"unknown\",result=\"retried\"} 2"));
}

TEST_CASE("outbound config: ca_file must be readable and is refused beside tls_verify false", "[outbound][config][tls]") {
  test::TempDir dir;
  const std::string ca = dir.path() + "/ca.pem";
  REQUIRE(test::WriteSelfSignedCertificate(ca, dir.path() + "/ca.key", "ca"));
  std::vector<SinkConfig> sinks;
  auto parse = [&](const std::string& extra) {
    return ReadOutboundConfig(
        YAML::Load("outbound:\n  - {name: a, type: webhook, url: https://x.example/, queues: [q], secret: s" + extra + "}\n"),
        "serve.yaml", &sinks);
  };
  REQUIRE(parse(", ca_file: " + ca).ok());
  CHECK(sinks[0].ca_file == ca);
  CHECK(sinks[0].tls_verify);
  REQUIRE(parse(", tls_verify: false").ok());
  CHECK_FALSE(sinks[0].tls_verify);
  CHECK_THAT(parse(", ca_file: " + dir.path() + "/missing.pem").message(),
             Catch::Contains("serve.yaml:2: outbound[0].ca_file: cannot read '" + dir.path() +
                             "/missing.pem': No such file or directory"));
  CHECK_THAT(parse(", ca_file: " + ca + ", tls_verify: false").message(),
             Catch::Contains("outbound[0].ca_file: is set but tls_verify is false"));
  CHECK_THAT(parse(", tls_verify: maybe").message(), Catch::Contains("outbound[0].tls_verify: must be true or false"));
}
