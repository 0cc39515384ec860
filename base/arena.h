// Arena: copies of strings that must outlive the buffer they came from, in
// large blocks that are reused, so a batch of thousands of messages costs a
// handful of allocations the first time and none afterwards. Views returned
// by Copy() stay valid until Reset() (blocks never move).
#ifndef TRIAGE_BASE_ARENA_H_
#define TRIAGE_BASE_ARENA_H_

#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace triage {

class Arena {
 public:
  static constexpr size_t kBlock = 256 << 10;

  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > kBlock / 4) {  // big strings get a block of their own
      large_.emplace_back(new char[s.size()]);
      std::memcpy(large_.back().get(), s.data(), s.size());
      return {large_.back().get(), s.size()};
    }
    if (in_use_ == 0 || used_ + s.size() > kBlock) {
      if (in_use_ == blocks_.size()) blocks_.emplace_back(new char[kBlock]);
      ++in_use_;
      used_ = 0;
    }
    char* p = blocks_[in_use_ - 1].get() + used_;
    std::memcpy(p, s.data(), s.size());
    used_ += s.size();
    return {p, s.size()};
  }

  // Forgets every copy; keeps the blocks for reuse.
  void Reset() {
    in_use_ = 0;
    used_ = 0;
    large_.clear();
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> large_;
  size_t in_use_ = 0;  // blocks holding copies; the last one is being filled
  size_t used_ = 0;     // bytes used in it
};

}  // namespace triage

#endif  // TRIAGE_BASE_ARENA_H_
