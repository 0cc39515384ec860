#include "engine/pattern_database.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace triage {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[8] = {'T', 'R', 'H', 'S', 'D', 'B', '0', '1'};
constexpr size_t kDigestLen = 32;

struct Sha256 {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256() { EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx); }
  void Update(const void* p, size_t n) { EVP_DigestUpdate(ctx, p, n); }
  void Update(uint64_t v) { Update(&v, sizeof v); }
  std::string Final() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    return std::string(reinterpret_cast<char*>(md), len);
  }
};

std::string Hex(const std::string& bytes) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += k[c >> 4];
    out += k[c & 15];
  }
  return out;
}

std::string CacheKey(const std::vector<Expression>& exprs) {
  Sha256 h;
  const char* version = hs_version();
  h.Update("triage-hsdb-1", 13);
  h.Update(version, std::strlen(version) + 1);
  hs_platform_info_t plat{};
  hs_populate_platform(&plat);
  h.Update(plat.tune);
  h.Update(plat.cpu_features);
  h.Update(exprs.size());
  for (const auto& e : exprs) {
    h.Update(e.flags);
    h.Update(e.text.size());
    h.Update(e.text.data(), e.text.size());
  }
  return h.Final();
}

std::string Digest(const char* p, size_t n) {
  Sha256 h;
  h.Update(p, n);
  return h.Final();
}

// File layout: magic(8) | key(32) | sha256(blob)(32) | blob size(8) | blob.
Status ReadCache(const std::string& path, const std::string& key, hs_database_t** db) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("no cache file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  const size_t header = sizeof kMagic + 2 * kDigestLen + 8;
  if (data.size() < header || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    return Status::Corruption("cache file has a bad header");
  if (data.compare(sizeof kMagic, kDigestLen, key) != 0) return Status::Corruption("cache key mismatch");
  uint64_t size;
  std::memcpy(&size, data.data() + sizeof kMagic + 2 * kDigestLen, 8);
  if (size != data.size() - header) return Status::Corruption("cache file is truncated");
  const char* blob = data.data() + header;
  if (Digest(blob, size) != data.substr(sizeof kMagic + kDigestLen, kDigestLen))
    return Status::Corruption("cache file checksum mismatch");
  char* info = nullptr;
  if (hs_serialized_database_info(blob, size, &info) != HS_SUCCESS) return Status::Corruption("not a database");
  std::string info_str = info;
  free(info);
  if (info_str.find(std::string(hs_version()).substr(0, std::string(hs_version()).find(' '))) == std::string::npos)
    return Status::Corruption("built by another Hyperscan version: " + info_str);
  if (hs_deserialize_database(blob, size, db) != HS_SUCCESS) return Status::Corruption("deserialize failed");
  return Status::OK();
}

Status WriteCache(const std::string& dir, const std::string& path, const std::string& key, const hs_database_t* db) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(dir + ": " + ec.message());
  char* bytes = nullptr;
  size_t len = 0;
  if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS) return Status::Internal("serialize failed");
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    uint64_t size = len;
    out.write(kMagic, sizeof kMagic);
    out.write(key.data(), kDigestLen);
    out.write(Digest(bytes, len).data(), kDigestLen);
    out.write(reinterpret_cast<const char*>(&size), 8);
    out.write(bytes, static_cast<std::streamsize>(len));
    free(bytes);
    if (!out) {
      fs::remove(tmp, ec);
      return Status::IOError(tmp + ": write failed");
    }
  }
  // rename() is atomic: a concurrent reader sees the old file or the new one.
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Status::IOError(path + ": " + ec.message());
  }
  return Status::OK();
}

}  // namespace

PatternDatabase::~PatternDatabase() {
  if (prototype_) hs_free_scratch(prototype_);
  if (db_) hs_free_database(db_);
}

std::string PatternDatabase::DefaultCacheDir() {
  if (const char* d = std::getenv("TRIAGE_CACHE_DIR")) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/triage";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/triage";
  return "";
}

Status PatternDatabase::CheckExpression(const Expression& expr) {
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_expression_info(expr.text.c_str(), expr.flags, &info, &err) != HS_SUCCESS) {
    std::string msg = err ? err->message : "unknown Hyperscan error";
    hs_free_compile_error(err);
    return Status::InvalidArgument(msg);
  }
  bool empty_ok = info->min_width == 0;
  free(info);
  if (empty_ok) return Status::InvalidArgument("pattern can match the empty string");
  return Status::OK();
}

Status PatternDatabase::Build(const std::vector<Expression>& exprs, const PatternDatabaseOptions& options,
                              std::unique_ptr<PatternDatabase>* out, int* bad_expression) {
  if (bad_expression) *bad_expression = -1;
  std::unique_ptr<PatternDatabase> pdb(new PatternDatabase());
  if (exprs.empty()) return Status::InvalidArgument("the rule pack has no patterns");

  std::string key, path;
  if (!options.cache_dir.empty()) {
    key = CacheKey(exprs);
    path = options.cache_dir + "/" + Hex(key) + ".hsdb";
    Status s = ReadCache(path, key, &pdb->db_);
    if (s.ok()) {
      pdb->info_.from_cache = true;
      pdb->info_.cache_file = path;
    } else if (s.code() != Status::Code::kNotFound) {
      pdb->info_.cache_note = path + ": " + s.message() + "; rebuilt";
    }
  }

  if (!pdb->db_) {
    std::vector<const char*> texts;
    std::vector<unsigned> flags, ids;
    for (size_t i = 0; i < exprs.size(); ++i) {
      texts.push_back(exprs[i].text.c_str());
      flags.push_back(exprs[i].flags);
      ids.push_back(static_cast<unsigned>(i));
    }
    hs_compile_error_t* err = nullptr;
    auto t0 = std::chrono::steady_clock::now();
    hs_error_t rc = hs_compile_multi(texts.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                                     HS_MODE_BLOCK, nullptr, &pdb->db_, &err);
    pdb->info_.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc != HS_SUCCESS) {
      std::string msg = err ? err->message : "unknown Hyperscan error";
      if (bad_expression && err) *bad_expression = err->expression;
      hs_free_compile_error(err);
      return Status::InvalidArgument("Hyperscan: " + msg);
    }
    if (!path.empty()) {
      Status ws = WriteCache(options.cache_dir, path, key, pdb->db_);
      if (ws.ok()) pdb->info_.cache_file = path;
      else pdb->info_.cache_note = ws.message();
    }
  }
  hs_database_size(pdb->db_, &pdb->info_.database_bytes);
  if (hs_alloc_scratch(pdb->db_, &pdb->prototype_) != HS_SUCCESS)
    return Status::Internal("Hyperscan: could not allocate scratch");
  *out = std::move(pdb);
  return Status::OK();
}

Status PatternDatabase::NewScratch(hs_scratch_t** scratch) const {
  *scratch = nullptr;
  if (hs_clone_scratch(prototype_, scratch) != HS_SUCCESS) return Status::Internal("Hyperscan: hs_clone_scratch failed");
  return Status::OK();
}

}  // namespace triage
