#include "connectors/archive_source.h"

#include <simdjson.h>

#include <algorithm>

namespace triage {

Status ParseArchiveEvent(std::string_view line, ArchiveEvent* out) {
  *out = ArchiveEvent();
  simdjson::padded_string padded(line);
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(obj)) return Status::NotFound("not an event line");
  std::string type, at;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::InvalidArgument("invalid JSON");
    std::string_view v;
    std::string* dest = key == "type" ? &type
                        : key == "message" ? &out->message
                        : key == "event" ? &out->type
                        : key == "agent" ? &out->agent
                        : key == "at" ? &at
                        : key == "to_queue" ? &out->to_queue
                        : key == "note" ? &out->note
                                        : nullptr;
    if (!dest) continue;  // unknown fields are allowed, as in message lines
    if (field.value().get_string().get(v)) {
      if (key == "type") return Status::NotFound("not an event line");
      return Status::InvalidArgument("field '" + std::string(key) + "': expected a string");
    }
    *dest = std::string(v);
  }
  if (type != "event") return Status::NotFound("not an event line");
  if (out->message.empty()) return Status::InvalidArgument("field 'message': missing (the id of the message)");
  static const char* kTypes[] = {"replied", "resolved", "rerouted", "moved_private", "escalated_offchannel"};
  if (std::find(std::begin(kTypes), std::end(kTypes), out->type) == std::end(kTypes))
    return Status::InvalidArgument("field 'event': '" + out->type +
                                   "' is not replied, resolved, rerouted, moved_private or escalated_offchannel");
  if (!ParseRfc3339(at, &out->at_ms)) return Status::InvalidArgument("field 'at': expected an RFC 3339 time");
  if (out->type == "rerouted" && out->to_queue.empty())
    return Status::InvalidArgument("field 'to_queue': required for rerouted");
  return Status::OK();
}

bool ArchiveSource::OpenNext() {
  if (reader_) {
    last_file_ = reader_->name();
    bytes_ += reader_->bytes_read();
    if (!reader_->status().ok()) {
      std::fprintf(err_, "triage: %s\n", reader_->status().message().c_str());
      ++io_errors_;
    }
    reader_.reset();
  }
  while (next_path_ < paths_.size()) {
    Status s = LineReader::Open(paths_[next_path_++], &reader_);
    if (s.ok()) return true;
    std::fprintf(err_, "triage: %s\n", s.message().c_str());
    ++io_errors_;
  }
  return false;
}

void ArchiveSource::Skip(const std::string& reason) {
  ++malformed_;
  std::fprintf(err_, "%s:%llu: malformed line skipped: %s\n", file().c_str(),
               static_cast<unsigned long long>(line()), reason.c_str());
}

std::optional<ArchiveFormat> ArchiveFormat::Parse(std::string_view name) {
  ArchiveFormat f;
  if (name == "archive") return f;
  if (name == "auto") {
    f.kind = Kind::kAuto;
    return f;
  }
  auto p = ParsePlatform(name);
  if (!p) return std::nullopt;
  f.kind = Kind::kPlatform;
  f.platform = *p;
  return f;
}

// Platform payloads: each line is normalized to zero or more archive lines,
// which are then parsed like any archive line.
bool ArchiveSource::NextPlatformMessage(Message* msg) {
  for (;;) {
    if (pending_next_ < pending_.size()) {
      Status s = parser_.ParseCopy(pending_[pending_next_++], msg);
      if (!s.ok()) {
        Skip("normalized message invalid: " + s.message());
        continue;
      }
      line_text_ = pending_[pending_next_ - 1];
      ++messages_;
      return true;
    }
    pending_.clear();
    pending_next_ = 0;
    std::string_view text;
    if (!NextLine(&text)) return false;
    std::optional<Platform> platform = format_.platform;
    if (format_.kind == ArchiveFormat::Kind::kAuto) {
      platform = DetectPlatform(text);
      if (!platform) {
        Skip("cannot tell which platform this payload is from");
        continue;
      }
    }
    NormalizeResult r;
    Status s = Normalize(*platform, text, &r);
    if (!s.ok()) {
      Skip(std::string(PlatformName(*platform)) + " payload: " + s.message());
      continue;
    }
    for (const auto& [kind, n] : r.ignored) ignored_[kind] += n;
    for (const auto& e : r.events) ++events_[std::string(PlatformEventName(e.type))];
    for (const auto& m : r.messages) pending_.push_back(m.ToArchiveLine());
  }
}

bool ArchiveSource::NextLine(std::string_view* text) {
  for (;;) {
    if (!reader_ && !OpenNext()) return false;
    if (!reader_->Next(text)) {
      if (!OpenNext()) return false;
      continue;
    }
    if (reader_->too_long()) {
      Skip("line longer than " + std::to_string(reader_->max_line_bytes()) + " bytes");
      continue;
    }
    if (text->find_first_not_of(" \t") == std::string_view::npos) continue;
    return true;
  }
}

bool ArchiveSource::Next(Message* msg) {
  if (format_.kind != ArchiveFormat::Kind::kArchive) return NextPlatformMessage(msg);
  for (;;) {
    std::string_view text;
    if (!NextLine(&text)) return false;
    // Event lines say "type":"event"; only lines that mention "type" at all
    // pay for the check.
    if (text.find("\"type\"") != std::string_view::npos && text.find("\"event\"") != std::string_view::npos) {
      ArchiveEvent ev;
      Status es = ParseArchiveEvent(text, &ev);
      if (es.code() != Status::Code::kNotFound) {  // NotFound: not an event line after all
        if (!es.ok()) {
          Skip("event line: " + es.message());
          continue;
        }
        ++event_lines_;
        if (on_event_) on_event_(ev);
        continue;
      }
    }
    Status s = parser_.Parse(text, reader_->padded_capacity(text), msg);
    if (!s.ok()) {
      Skip(s.message());
      continue;
    }
    line_text_ = text;
    ++messages_;
    return true;
  }
}

}  // namespace triage
