// Field access for the platform normalizers (internal to connectors/webhooks:
// normalizer.cc and the per-platform files in platforms.h use it, nothing
// else should).
//
// Field access that tolerates absence and type surprises: a webhook payload
// is never trusted to have the documented shape. That is the normalizers'
// tolerance policy, and these functions are where it lives:
//   - a field that is missing, of another JSON type than the reader takes, or
//     looked up in something that is not an object reads as "not there": ""
//     (Str, Timestamp), the fallback (Int), -1 (Bool), the empty object (Obj)
//     or no elements (Arr). None of them fails or throws;
//   - what each reader takes: Str strings and integers (in decimal); Int
//     integers, finite numbers below 9e18 in magnitude (truncated) and strings
//     that begin with an integer (as std::stoll reads them); Bool only true
//     and false; Obj only objects; Arr only arrays; Timestamp the forms listed
//     at Timestamp;
//   - so a missing or odd-typed field leaves its part of the message empty (or
//     "did not say"): a platform normalizer refuses a payload only when what
//     makes it the platform's shape is missing (platforms.h), never because
//     some other field is absent or of a surprising type.
#ifndef TRIAGE_CONNECTORS_WEBHOOKS_PAYLOAD_READER_H_
#define TRIAGE_CONNECTORS_WEBHOOKS_PAYLOAD_READER_H_

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace triage::webhooks_internal {

namespace dom = simdjson::dom;

// The string or integer at `key`, as text; "" otherwise.
std::string Str(dom::element e, std::string_view key);

// Whether `e` is an object with a field `key` (of any type, null included).
bool Has(dom::element e, std::string_view key);

// A default-constructed dom::element points at no document, so a missing
// object is represented by a shared, parsed, empty object instead.
dom::element EmptyObject();

// The object at `key`; EmptyObject() when it is missing or not an object, so
// lookups chain without checks.
dom::element Obj(dom::element e, std::string_view key);

// A present, non-empty object (an absent one is the empty sentinel).
bool IsObj(dom::element e);

// The elements of the array at `key`; none when it is missing or not an array.
std::vector<dom::element> Arr(dom::element e, std::string_view key);

// The number at `key` (see the policy above for what counts); `fallback` otherwise.
int64_t Int(dom::element e, std::string_view key, int64_t fallback = -1);

// 1 or 0 for true or false at `key`; -1 (the platform did not say) otherwise.
int Bool(dom::element e, std::string_view key);

// Seconds or milliseconds since the epoch: values above 1e11 are taken as
// milliseconds. Out-of-range or non-finite values give "".
std::string FromEpochNumber(double v);

// A timestamp field: a number or numeric string (see FromEpochNumber), or an
// ISO 8601 / RFC 3339 / X v1.1 date string.
std::string Timestamp(dom::element e, std::string_view key);

// Appends `part` to `text` on a line of its own; an empty part adds nothing.
void AppendPart(std::string* text, std::string_view part);

}  // namespace triage::webhooks_internal

#endif  // TRIAGE_CONNECTORS_WEBHOOKS_PAYLOAD_READER_H_
