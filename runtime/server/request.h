// Helpers the API's endpoints share: reading request bodies and query
// strings, and writing the common answers. Pure functions (no store, no
// socket): the in-process tests call them directly.
#ifndef TRIAGE_RUNTIME_SERVER_REQUEST_H_
#define TRIAGE_RUNTIME_SERVER_REQUEST_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "runtime/server/api.h"

namespace triage {

// Reads a small JSON object body into key -> (string or int) fields.
struct JsonFields {
  std::map<std::string, std::string, std::less<>> strings;
  std::map<std::string, int64_t, std::less<>> ints;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;  // arrays of strings
};

// Reads a JSON object body: strings, integers and lists of strings by key.
// *bad_field names the field an error is about. A key given twice is an
// error naming it ({"agent":"a","agent":"b"} means nothing one can trust).
Status ParseFields(const std::string& body, JsonFields* out, std::string* bad_field);

// The most entries a list field of a request body may hold (the queues of
// a heartbeat: an agent works a handful).
inline constexpr size_t kMaxListEntries = 64;

// The expected type of each field a body may hold: a field given with
// another type is an error naming it (a "max":"3" is refused, not ignored).
struct FieldTypes {
  std::vector<std::string_view> strings, ints, lists;
};
Status CheckFieldTypes(const JsonFields& f, const FieldTypes& want, std::string* bad_field);

// The value of `name` in a query string ("" when absent; not decoded).
std::string_view QueryParam(std::string_view query, std::string_view name);
// ?limit=N: `fallback` when absent; false when not an integer in [1, max].
bool LimitParam(std::string_view query, size_t fallback, long long max, size_t* out);
// Percent-decodes a URL path segment; false if malformed.
bool UrlDecode(std::string_view in, std::string* out);

bool HasControlChars(std::string_view s);
int64_t WallMs();

// A JSON answer.
ApiResponse Json(unsigned status, std::string body);
// The answer for a store operation that failed: 503 with Retry-After when
// the store is busy (the client should retry) or read-only after an I/O
// error, 507 when it is read-only because the disk is full, else 500.
ApiResponse StoreFailure(const Status& st, ServerMetrics* metrics);
// Appends [{"id":..,"decision":{..}},..] for (id, decision line) pairs.
void AppendIdDecisions(const std::vector<std::pair<std::string, std::string>>& items, std::string* out);

}  // namespace triage

#endif  // TRIAGE_RUNTIME_SERVER_REQUEST_H_
