// DetectLanguage: the language of a message that arrives without `lang`,
// by CLD2. Returns an ISO 639-1 code ("en", "hi", ...) or "und" when CLD2
// cannot tell. The returned view points to static storage. Thread-safe.
#ifndef TRIAGE_ENGINE_LANGUAGE_DETECTOR_H_
#define TRIAGE_ENGINE_LANGUAGE_DETECTOR_H_

#include <string_view>

namespace triage {

std::string_view DetectLanguage(std::string_view utf8_text);

}  // namespace triage

#endif  // TRIAGE_ENGINE_LANGUAGE_DETECTOR_H_
