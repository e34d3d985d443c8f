// SPDX-License-Identifier: MIT
// Freestanding vocabulary shared by every core layer: the error enum, Result<T>, BDF and a text buffer.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "protocol/pciif.h"

namespace pcisplit {

// One error vocabulary, 1:1 with XEN_PCI_ERR_*. Translation to errno or PCIBIOS codes is the glue's job.
enum class [[nodiscard]] Err : int32_t {
  success = PCISPLIT_ERR_SUCCESS,
  dev_not_found = PCISPLIT_ERR_DEV_NOT_FOUND,
  invalid_offset = PCISPLIT_ERR_INVALID_OFFSET,
  access_denied = PCISPLIT_ERR_ACCESS_DENIED,
  not_implemented = PCISPLIT_ERR_NOT_IMPLEMENTED,
  op_failed = PCISPLIT_ERR_OP_FAILED,
};

const char* err_name(Err e);

// The value of one hex digit (either case), or -1.
constexpr int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : value_(value), err_(Err::success) {}  // NOLINT: implicit by design
  constexpr Result(Err err) : value_(), err_(err) {}                 // NOLINT
  constexpr bool ok() const { return err_ == Err::success; }
  constexpr Err err() const { return err_; }
  // Callers check ok() first; a failed Result holds a value-initialised T, never garbage.
  constexpr const T& value() const { return value_; }

 private:
  T value_;
  Err err_;
};

// Error propagation without exceptions, the one helper for it: binds `name` to the value of the
// Result `expr`, or returns its error from the enclosing function (which returns Err or a Result).
#define PCISPLIT_TRY(name, expr)                      \
  const auto name##_result = (expr);                  \
  if (!name##_result.ok()) return name##_result.err(); \
  const auto& name = name##_result.value()

// A PCI function address. devfn packs slot (5 bits) and function (3 bits) as on the wire.
struct Bdf {
  uint16_t domain = 0;
  uint8_t bus = 0;
  uint8_t devfn = 0;

  static constexpr Bdf make(uint16_t domain, uint8_t bus, uint8_t slot, uint8_t fn) {
    return Bdf{domain, bus, static_cast<uint8_t>((slot & 0x1f) << 3 | (fn & 7))};
  }
  constexpr uint8_t slot() const { return devfn >> 3; }
  constexpr uint8_t fn() const { return devfn & 7; }
  constexpr bool operator==(const Bdf&) const = default;
};

// Copies a C string into a buffer of `cap` bytes, always NUL-terminated, cut if too long.
void copy_cstr(char* dst, size_t cap, const char* src);

// A fixed-capacity, always NUL-terminated text buffer for messages built without libc.
// Overflowing text is cut, never written past the end.
class Text {
 public:
  static constexpr size_t kCapacity = 160;

  // A Text that keeps nothing and reads as empty: for a diagnostic its caller ignores (a parser's
  // reason for refusing a value the caller only tests), which is then not formatted at all.
  static Text discarding();

  Text& add(const char* s);
  Text& add_hex(uint32_t v, int digits);  // zero-padded lower-case hex, no prefix
  Text& add_dec(uint32_t v);
  Text& add_quoted(const char* s, size_t max_len);  // "s", non-printables as \xNN
  const char* c_str() const { return buf_; }
  size_t size() const { return len_; }
  void clear() { len_ = 0; buf_[0] = '\0'; }
  // Cuts the text back to its first `n` bytes (no-op if it is not longer), so a common prefix is
  // written once and what follows it replaced.
  void truncate(size_t n);

 private:
  Text& put(char c);
  char buf_[kCapacity] = {};
  uint32_t len_ = 0;  // (not size_t: the flag below then fits in the same 168 bytes)
  bool discard_ = false;
};

}  // namespace pcisplit
