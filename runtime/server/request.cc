#include "runtime/server/request.h"

#include <simdjson.h>

#include <chrono>
#include <set>

#include "base/json_writer.h"

namespace triage {

namespace od = simdjson::ondemand;

Status ParseFields(const std::string& body, JsonFields* out, std::string* bad_field) {
  simdjson::padded_string padded(body);
  od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(padded).get(doc)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE) return Status::InvalidArgument("the body must be a JSON object");
    return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
  }
  std::set<std::string, std::less<>> seen;  // keys, those given as null too
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
    od::value v;
    if (field.value().get(v)) return Status::InvalidArgument("invalid JSON");
    od::json_type t;
    if (auto e = v.type().get(t)) return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(e));
    std::string k(key);
    if (!seen.insert(k).second) {
      *bad_field = k;
      return Status::InvalidArgument("'" + k + "' is given twice");
    }
    if (t == od::json_type::string) {
      std::string_view s;
      if (v.get_string().get(s)) {
        *bad_field = k;
        return Status::InvalidArgument("invalid string");
      }
      out->strings[k] = std::string(s);
    } else if (t == od::json_type::number) {
      int64_t n;
      if (v.get_int64().get(n)) {
        *bad_field = k;
        return Status::InvalidArgument("'" + k + "' must be an integer");
      }
      out->ints[k] = n;
    } else if (t == od::json_type::array) {
      od::array arr;
      if (v.get_array().get(arr)) return Status::InvalidArgument("invalid JSON");
      std::vector<std::string> items;
      for (auto el : arr) {
        std::string_view item;
        if (el.get_string().get(item)) {
          *bad_field = k;
          return Status::InvalidArgument("'" + k + "' must be a list of strings");
        }
        items.emplace_back(item);
      }
      out->lists[k] = std::move(items);
    } else if (t != od::json_type::null) {
      *bad_field = k;
      return Status::InvalidArgument("'" + k + "' must be a string, an integer or a list of strings");
    }
  }
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return Status::InvalidArgument("invalid JSON: trailing content after the object");
  return Status::OK();
}

Status CheckFieldTypes(const JsonFields& f, const FieldTypes& want, std::string* bad_field) {
  auto in = [](const std::vector<std::string_view>& names, std::string_view k) {
    for (std::string_view n : names)
      if (n == k) return true;
    return false;
  };
  auto check = [&](std::string_view k, const char* given) -> Status {
    const char* expected = in(want.strings, k) ? "a string" : in(want.ints, k) ? "an integer" : in(want.lists, k) ? "a list of strings" : nullptr;
    if (!expected || std::string_view(expected) == given) return Status::OK();
    *bad_field = std::string(k);
    return Status::InvalidArgument("'" + std::string(k) + "' must be " + expected);
  };
  for (const auto& [k, v] : f.strings)
    if (Status s = check(k, "a string"); !s.ok()) return s;
  for (const auto& [k, v] : f.ints)
    if (Status s = check(k, "an integer"); !s.ok()) return s;
  for (const auto& [k, v] : f.lists)
    if (Status s = check(k, "a list of strings"); !s.ok()) return s;
  return Status::OK();
}

std::string_view QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    size_t eq = kv.find('=');
    if (kv.substr(0, eq) == name) return eq == std::string_view::npos ? "" : kv.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

bool LimitParam(std::string_view query, size_t fallback, long long max, size_t* out) {
  std::string_view l = QueryParam(query, "limit");
  *out = fallback;
  if (l.empty()) return true;
  try {
    size_t used = 0;
    long long v = std::stoll(std::string(l), &used);
    if (used != l.size() || v < 1 || v > max) return false;
    *out = static_cast<size_t>(v);
    return true;
  } catch (...) {
    return false;
  }
}

bool UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
      };
      int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

bool HasControlChars(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiResponse Json(unsigned status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse StoreFailure(const Status& st, ServerMetrics* metrics) {
  if (QueueStore::IsBusy(st)) {
    metrics->rejected_busy.fetch_add(1, std::memory_order_relaxed);
    ApiResponse r = Api::Error(503, "the store is busy; retry: " + st.message());
    r.retry_after_seconds = 1;
    return r;
  }
  // Read-only after a write failure (queue_store.h): the disk is full (507,
  // until the operator frees space) or failing (503: the store retries by
  // itself every few seconds). Nothing of the request was stored.
  if (st.IsNoSpace()) return Api::Error(507, "not stored: " + st.message());
  if (st.code() == Status::Code::kIOError) {
    ApiResponse r = Api::Error(503, "not stored: " + st.message());
    r.retry_after_seconds = 5;
    return r;
  }
  return Api::Error(500, "not stored: " + st.message());
}

void AppendIdDecisions(const std::vector<std::pair<std::string, std::string>>& items, std::string* out) {
  *out += "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) *out += ",";
    *out += "{\"id\":";
    AppendJsonString(items[i].first, out);
    *out += ",\"decision\":" + (items[i].second.empty() ? std::string("null") : items[i].second) + "}";
  }
  *out += "]";
}

}  // namespace triage
