// The platform webhook samples under ../shared/data/webhooks (read at test
// time; no third-party text is copied into the repository), and how the
// webhook tests read them.
#ifndef TRIAGE_TESTS_WEBHOOK_SAMPLES_H_
#define TRIAGE_TESTS_WEBHOOK_SAMPLES_H_

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <simdjson.h>

#include "connectors/webhooks/normalizer.h"
#include "test_util.h"

namespace triage::test {


inline const std::string kDir = std::string(TRIAGE_SHARED_DIR) + "/data/webhooks/";

// The samples are test data the tests need: without them a test fails and
// says what to provide, rather than passing without asserting anything.
inline void RequireSamples() {
  if (!std::filesystem::exists(kDir + "messenger"))
    FAIL("platform webhook samples missing: provide ../shared/data/webhooks (messenger/, x/, slack/, ...) beside the "
         "repository; looked in " << kDir);
}

inline NormalizeResult Run(Platform p, const std::string& payload) {
  NormalizeResult r;
  Status s = Normalize(p, payload, &r);
  INFO(s.message());
  REQUIRE(s.ok());
  return r;
}

inline NormalizeResult RunFile(Platform p, const std::string& file) { return Run(p, ReadFile(kDir + file)); }

// The value at a JSON pointer in a sample file, as a string (numbers in
// decimal). Expected values are read from the samples at test time, so no
// third-party text is copied into the repository.
inline std::string At(const std::string& file, const std::string& pointer) {
  static simdjson::dom::parser parser;
  simdjson::dom::element root, v;
  if (parser.load(kDir + file).get(root) || root.at_pointer(pointer).get(v)) {
    FAIL("no " << pointer << " in " << file);
    return "";
  }
  std::string_view sv;
  if (!v.get_string().get(sv)) return std::string(sv);
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  uint64_t u;
  if (!v.get_uint64().get(u)) return std::to_string(u);
  return "";
}

// Meta documentation samples are fragments: wrap them in their envelope.
inline std::string WrapMessaging(const std::string& object, const std::string& item) {
  return R"({"object":")" + object + R"(","entry":[{"id":"1","time":1,"messaging":[)" + item + "]}]}";
}


}  // namespace triage::test

#endif  // TRIAGE_TESTS_WEBHOOK_SAMPLES_H_
