// archive_export: turns an archive into the input other systems need, so
// bench/compare.sh can give them exactly the messages triage gets.
//
//   archive_export sql ARCHIVE OUT_PREFIX PARTS BATCH
//     Writes OUT_PREFIX0.sql .. OUT_PREFIX<PARTS-1>.sql: batch k of BATCH
//     lines goes to part k % PARTS, as one statement
//       INSERT INTO messages (id, body) VALUES ('id', 'line'), ...
//         ON CONFLICT (id) DO NOTHING;
//     which is how a desk application that dedupes by id would store them
//     (the whole archive line as jsonb).
//   archive_export fasttext-train ARCHIVE   "__label__<label> <text>" per line
//   archive_export fasttext-text ARCHIVE    "<text>" per line
//     fastText's input format: one example per line, so newlines and other
//     white space in the text become single spaces.
//
// Lines that are not JSON objects with a string "id" and "text" are skipped
// with a count on stderr (an archive may carry event lines).
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace {

void AppendSqlString(std::string_view s, std::string* out) {
  out->push_back('\'');
  for (char c : s) {
    if (c == '\'') out->push_back('\'');
    out->push_back(c);
  }
  out->push_back('\'');
}

// fastText splits on white space and reads one example per line.
void AppendOneLine(std::string_view s, std::string* out) {
  bool space = false;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ' || c == '\v' || c == '\f') {
      space = true;
      continue;
    }
    if (space && !out->empty() && out->back() != ' ') out->push_back(' ');
    space = false;
    out->push_back(c);
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: archive_export sql ARCHIVE OUT_PREFIX PARTS BATCH\n"
               "       archive_export fasttext-train ARCHIVE\n"
               "       archive_export fasttext-text ARCHIVE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string mode = argv[1], path = argv[2];
  int parts = 1, batch = 1000;
  std::string prefix;
  if (mode == "sql") {
    if (argc != 6) return Usage();
    prefix = argv[3];
    parts = std::atoi(argv[4]);
    batch = std::atoi(argv[5]);
    if (parts <= 0 || batch <= 0) return Usage();
  } else if (mode != "fasttext-train" && mode != "fasttext-text") {
    return Usage();
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "archive_export: cannot read %s\n", path.c_str());
    return 1;
  }
  std::vector<std::FILE*> outs;
  for (int p = 0; p < parts && mode == "sql"; ++p) {
    std::string name = prefix + std::to_string(p) + ".sql";
    std::FILE* f = std::fopen(name.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "archive_export: cannot write %s\n", name.c_str());
      return 1;
    }
    outs.push_back(f);
  }
  simdjson::ondemand::parser parser;
  std::string out, statement;
  long long rows = 0, skipped = 0, lineno = 0, statements = 0;
  size_t in_batch = 0;
  auto flush_statement = [&] {
    if (in_batch == 0) return;
    statement += " ON CONFLICT (id) DO NOTHING;\n";
    std::FILE* f = outs[statements++ % parts];
    std::fwrite(statement.data(), 1, statement.size(), f);
    statement.clear();
    in_batch = 0;
  };
  for (std::string line; std::getline(in, line);) {
    ++lineno;
    if (line.empty()) continue;
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    std::string_view id, text, label;
    if (parser.iterate(padded).get(doc) || doc["id"].get_string().get(id)) {
      ++skipped;
      continue;
    }
    std::string id_copy(id);
    if (doc["text"].get_string().get(text)) {
      ++skipped;
      continue;
    }
    if (mode == "sql") {
      statement += in_batch == 0 ? "INSERT INTO messages (id, body) VALUES (" : ", (";
      AppendSqlString(id_copy, &statement);
      statement += ", ";
      AppendSqlString(line, &statement);
      statement += ")";
      ++in_batch;
      ++rows;
      if (in_batch == static_cast<size_t>(batch)) flush_statement();
      continue;
    }
    out.clear();
    if (mode == "fasttext-train") {
      std::string text_copy(text);
      if (doc["label"].get_string().get(label)) {
        ++skipped;
        continue;
      }
      out += "__label__";
      out += label;
      out += ' ';
      AppendOneLine(text_copy, &out);
    } else {
      AppendOneLine(text, &out);
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    ++rows;
  }
  flush_statement();
  for (std::FILE* f : outs) std::fclose(f);
  std::fprintf(stderr, "archive_export: %lld rows written, %lld of %lld lines skipped\n", rows, skipped, lineno);
  return 0;
}
