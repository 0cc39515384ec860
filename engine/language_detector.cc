#include "engine/language_detector.h"

#include <cld2/public/compact_lang_det.h>

namespace triage {

std::string_view DetectLanguage(std::string_view text) {
  bool reliable = false;
  CLD2::Language lang =
      CLD2::DetectLanguage(text.data(), static_cast<int>(text.size()), /*is_plain_text=*/true, &reliable);
  if (lang == CLD2::UNKNOWN_LANGUAGE) return "und";
  const char* code = CLD2::LanguageCode(lang);
  return code ? std::string_view(code) : std::string_view("und");
}

}  // namespace triage
