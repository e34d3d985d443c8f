// SPDX-License-Identifier: GPL-2.0-only
// What the libFuzzer targets share: a reader that turns the input into choices, the recorded dumps,
// and how a broken invariant is reported (abort, or one reproducer file per invariant in a long run).
#pragma once

#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tools/pcisplit/dump.hpp"

namespace pcisplit::fuzz {

// Consumes the input front to back; past the end every read returns 0, so any input is a valid
// program and libFuzzer's mutations stay meaningful.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  size_t left() const { return pos_ < size_ ? size_ - pos_ : 0; }
  uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) | static_cast<uint32_t>(u16()) << 16; }
  // The rest of the input, or up to `max` bytes of it, as text (may hold any byte but NUL).
  std::string text(size_t max) {
    std::string s;
    while (s.size() < max && !empty()) {
      const char c = static_cast<char>(u8());
      if (c == '\0') break;
      s.push_back(c);
    }
    return s;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// The input being run, so a violation can save it.
struct Current {
  const uint8_t* data = nullptr;
  size_t size = 0;
  const char* target = "";
};
inline Current& current() {
  static Current c;
  return c;
}

// A broken invariant. Without FUZZ_FINDINGS_DIR: print and abort(), so libFuzzer saves the input as
// a crash and stops (also how a reproducer is replayed). With it (make fuzz / make check): the first
// input that breaks each invariant is written to DIR/<target>-<invariant>, a line goes to stderr, and
// fuzzing goes on, so one known finding does not hide the others. Returns so the caller can stop the
// input (its state is no longer meaningful).
[[gnu::format(printf, 2, 3)]] inline void violation(const char* invariant, const char* fmt, ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  const char* dir = getenv("FUZZ_FINDINGS_DIR");
  if (dir == nullptr || *dir == '\0') {
    fprintf(stderr, "\n==FUZZ== invariant \"%s\" violated: %s\n", invariant, detail);
    abort();
  }
  static std::set<std::string> seen;
  if (!seen.insert(invariant).second) return;
  const std::string path = std::string(dir) + "/" + current().target + "-" + invariant;
  if (FILE* f = fopen(path.c_str(), "wb")) {
    fwrite(current().data, 1, current().size, f);
    fclose(f);
  }
  fprintf(stderr, "\n==FUZZ== FINDING invariant \"%s\" violated: %s (input saved to %s)\n", invariant, detail,
          path.c_str());
}

// The recorded devices of test/data, parsed once per process, sorted by file name.
struct NamedDump {
  std::string name;
  user::Dump dump;
};
const std::vector<NamedDump>& dumps();

}  // namespace pcisplit::fuzz
