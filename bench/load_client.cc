// load_client: drives `triage serve` over loopback and reports throughput and
// latency. Bounded in requests and in time; talks only to the address given
// (default 127.0.0.1).
//
//   load_client --port P [--connections C] [--batch B] [--requests N]
//               [--seconds S] [--rate R] [--host 127.0.0.1] [--file ARCHIVE]
//
// Each connection is a thread with a keep-alive HTTP/1.1 connection sending
// POST /v1/messages with B generated messages (B = 1: single-message
// requests). With --file, the messages are the archive's lines instead,
// each sent once (request n carries lines n*B .. n*B+B-1), so another system
// can be given exactly the same messages (bench/compare.sh).
// --rate R paces the whole client at R requests/s (open loop:
// latency is measured from the scheduled send time, so queueing counts).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "connectors/synthetic/archive_generator.h"
#include "tests/http_client.h"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0, connections = 4, batch = 1;
  long long requests = 20000;
  double seconds = 30, rate = 0;
  std::string file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--port") port = std::stoi(v);
    else if (a == "--host") host = v;
    else if (a == "--connections") connections = std::stoi(v);
    else if (a == "--batch") batch = std::stoi(v);
    else if (a == "--requests") requests = std::stoll(v);
    else if (a == "--seconds") seconds = std::stod(v);
    else if (a == "--rate") rate = std::stod(v);
    else if (a == "--file") file = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (port <= 0) {
    std::fprintf(stderr, "usage: load_client --port P [--connections C] [--batch B] [--requests N] [--seconds S] [--rate R] [--file ARCHIVE]\n");
    return 2;
  }
  std::vector<std::string> lines;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      std::fprintf(stderr, "load_client: cannot read %s\n", file.c_str());
      return 2;
    }
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(std::move(line));
    requests = std::min<long long>(requests, (static_cast<long long>(lines.size()) + batch - 1) / batch);
  }
  std::string run = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  std::atomic<long long> next{0}, ok{0}, failed{0};
  std::vector<std::vector<double>> latencies(connections);
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      triage::ArchiveGenerator gen(1000 + c, "load" + run + "c" + std::to_string(c));
      triage::test::HttpClient client(static_cast<uint16_t>(port), host);
      std::string body;
      for (;;) {
        long long n = next.fetch_add(1);
        if (n >= requests || Clock::now() >= deadline) break;
        auto scheduled = Clock::now();
        if (rate > 0) {
          scheduled = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(n / rate));
          std::this_thread::sleep_until(scheduled);
        }
        body.clear();
        if (lines.empty()) {
          for (int i = 0; i < batch; ++i) gen.AppendLine(&body);
        } else {
          size_t first = static_cast<size_t>(n) * batch;
          for (size_t i = first; i < std::min(lines.size(), first + batch); ++i) {
            body += lines[i];
            body += '\n';
          }
        }
        auto r = client.Request("POST", "/v1/messages", body);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - scheduled).count();
        if (r.status == 202) {
          ok.fetch_add(1);
          latencies[c].push_back(ms);
        } else {
          failed.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]; };
  long long messages = lines.empty() ? ok.load() * batch : std::min<long long>(ok.load() * batch, lines.size());
  std::printf("requests ok %lld, failed %lld, in %.2f s: %.0f requests/s, %.0f messages/s; latency ms p50 %.2f p90 %.2f p99 %.2f max %.2f\n",
              ok.load(), failed.load(), elapsed, ok.load() / elapsed, messages / elapsed, pct(0.5), pct(0.9),
              pct(0.99), all.empty() ? 0.0 : all.back());
  return failed.load() ? 1 : 0;
}
