#include "connectors/webhooks/payload_reader.h"

#include <cmath>
#include <cstdlib>
#include <ctime>

#include "base/rfc3339.h"

namespace triage::webhooks_internal {

std::string Str(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return "";
  std::string_view s;
  if (!v.get_string().get(s)) return std::string(s);
  int64_t i;
  if (!v.get_int64().get(i)) return std::to_string(i);
  uint64_t u;
  if (!v.get_uint64().get(u)) return std::to_string(u);
  return "";
}

bool Has(dom::element e, std::string_view key) {
  dom::element v;
  return e.type() == dom::element_type::OBJECT && !e[key].get(v);
}

dom::element EmptyObject() {
  static dom::parser* parser = new dom::parser();
  static dom::element empty = [] {
    dom::element e;
    if (parser->parse(std::string_view("{}")).get(e)) std::abort();
    return e;
  }();
  return empty;
}

dom::element Obj(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() == dom::element_type::OBJECT && !e[key].get(v) && v.type() == dom::element_type::OBJECT) return v;
  return EmptyObject();
}

bool IsObj(dom::element e) {
  dom::object o;
  return e.type() == dom::element_type::OBJECT && !e.get_object().get(o) && o.begin() != o.end();
}

std::vector<dom::element> Arr(dom::element e, std::string_view key) {
  std::vector<dom::element> out;
  dom::element v;
  dom::array a;
  if (e.type() == dom::element_type::OBJECT && !e[key].get(v) && !v.get_array().get(a))
    for (dom::element x : a) out.push_back(x);
  return out;
}

int64_t Int(dom::element e, std::string_view key, int64_t fallback) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return fallback;
  int64_t i;
  if (!v.get_int64().get(i)) return i;
  uint64_t u;
  if (!v.get_uint64().get(u)) return static_cast<int64_t>(u);
  double d;
  if (!v.get_double().get(d)) return std::isfinite(d) && std::fabs(d) < 9e18 ? static_cast<int64_t>(d) : fallback;
  std::string_view s;
  if (!v.get_string().get(s)) {
    try {
      return std::stoll(std::string(s));
    } catch (...) {
    }
  }
  return fallback;
}

int Bool(dom::element e, std::string_view key) {
  dom::element v;
  bool b;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v) || v.get_bool().get(b)) return -1;
  return b ? 1 : 0;
}

std::string FromEpochNumber(double v) {
  if (!std::isfinite(v) || std::fabs(v) > 1e15) return "";
  return FormatRfc3339(std::fabs(v) > 1e11 ? static_cast<int64_t>(v) : static_cast<int64_t>(std::llround(v * 1000)));
}

std::string Timestamp(dom::element e, std::string_view key) {
  dom::element v;
  if (e.type() != dom::element_type::OBJECT || e[key].get(v)) return "";
  std::string_view s;
  if (!v.get_string().get(s)) {
    bool numeric = !s.empty() && s.size() < 32;
    for (char c : s) numeric = numeric && ((c >= '0' && c <= '9') || c == '.');
    if (numeric) {
      std::string copy(s);
      char* end = nullptr;
      double d = std::strtod(copy.c_str(), &end);
      return end == copy.c_str() ? "" : FromEpochNumber(d);
    }
    // ISO 8601 with "+0000" offsets (Meta) -> RFC 3339.
    std::string iso(s);
    if (iso.size() >= 5 && (iso[iso.size() - 5] == '+' || iso[iso.size() - 5] == '-') && iso.find(':', iso.size() - 5) == std::string::npos)
      iso.insert(iso.end() - 2, ':');  // (an iterator: GCC 12 -Wrestrict misfires on the index form)
    int64_t ms;
    if (ParseRfc3339(iso, &ms)) return FormatRfc3339(ms);
    // X v1.1: "Mon May 19 14:01:46 +0000 2025"
    std::tm tm{};
    if (strptime(iso.c_str(), "%a %b %d %H:%M:%S +0000 %Y", &tm)) {
      int64_t secs = static_cast<int64_t>(timegm(&tm));
      if (secs > -62135596800LL && secs < 253402300800LL) return FormatRfc3339(secs * 1000);
    }
    return "";
  }
  double d;
  if (!v.get_double().get(d)) return FromEpochNumber(d);
  int64_t i;
  if (!v.get_int64().get(i)) return FromEpochNumber(static_cast<double>(i));
  return "";
}

void AppendPart(std::string* text, std::string_view part) {
  if (part.empty()) return;
  if (!text->empty()) *text += "\n";
  *text += part;
}

}  // namespace triage::webhooks_internal
