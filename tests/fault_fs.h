// FaultFs: a RocksDB FileSystem over the real one that fails every write and
// sync with "No space left on device" while full() is set, as a full disk
// does: files can still be created, opened and read, but no byte goes into
// one. Shared by the store and daemon tests of the read-only mode.
#ifndef TRIAGE_TESTS_FAULT_FS_H_
#define TRIAGE_TESTS_FAULT_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace triage::test {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  FaultFs() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "TriageFaultFs"; }

  void set_full(bool full) { full_ = full; }
  bool full() const { return full_; }
  // Writes and syncs refused so far.
  uint64_t refused() const { return refused_; }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, r, d);
    if (s.ok()) r->reset(new File(std::move(*r), this));
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = target()->ReopenWritableFile(f, o, r, d);
    if (s.ok()) r->reset(new File(std::move(*r), this));
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* d) override {
    rocksdb::IOStatus s = target()->ReuseWritableFile(f, old, o, r, d);
    if (s.ok()) r->reset(new File(std::move(*r), this));
    return s;
  }

 private:
  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(std::unique_ptr<rocksdb::FSWritableFile>&& t, FaultFs* fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(t)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->Append(data, o, d);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->Append(data, o, v, d);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t off, const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->PositionedAppend(data, off, o, d);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t off, const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->PositionedAppend(data, off, o, v, d);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->Sync(o, d);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->Fsync(o, d);
    }
    rocksdb::IOStatus RangeSync(uint64_t off, uint64_t n, const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* d) override {
      if (fs_->Refuse()) return NoSpace();
      return target()->RangeSync(off, n, o, d);
    }

   private:
    static rocksdb::IOStatus NoSpace() { return rocksdb::IOStatus::NoSpace("No space left on device (injected)"); }
    FaultFs* fs_;
  };

  bool Refuse() {
    if (!full_) return false;
    ++refused_;
    return true;
  }

  std::atomic<bool> full_{false};
  std::atomic<uint64_t> refused_{0};
};

// A FaultFs and the Env that opens databases through it.
struct FaultEnv {
  std::shared_ptr<FaultFs> fs = std::make_shared<FaultFs>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
};

}  // namespace triage::test

#endif  // TRIAGE_TESTS_FAULT_FS_H_
