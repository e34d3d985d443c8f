// SPDX-License-Identifier: MIT
// Error names and the libc-free text buffer.
#include "protocol/store.hpp"
#include "protocol/types.hpp"

namespace pcisplit {

const char* err_name(Err e) {
  switch (e) {
    case Err::success: return "success";
    case Err::dev_not_found: return "dev_not_found";
    case Err::invalid_offset: return "invalid_offset";
    case Err::access_denied: return "access_denied";
    case Err::not_implemented: return "not_implemented";
    case Err::op_failed: return "op_failed";
  }
  return "unknown";
}

const char* store_status_name(StoreStatus s) {
  switch (s) {
    case StoreStatus::ok: return "ok";
    case StoreStatus::not_found: return "not found";
    case StoreStatus::denied: return "permission denied";
    case StoreStatus::again: return "transaction conflict";
    case StoreStatus::invalid: return "invalid";
    case StoreStatus::too_long: return "value too long";
  }
  return "unknown";
}

void copy_cstr(char* dst, size_t cap, const char* src) {
  if (cap == 0) return;
  size_t i = 0;
  for (; src[i] != '\0' && i + 1 < cap; ++i) dst[i] = src[i];
  dst[i] = '\0';
}

Text Text::discarding() {
  Text t;
  t.discard_ = true;
  return t;
}

void Text::truncate(size_t n) {
  if (n < len_) {
    len_ = static_cast<uint32_t>(n);
    buf_[n] = '\0';
  }
}

Text& Text::put(char c) {
  if (discard_) return *this;
  if (len_ + 1 < kCapacity) {
    buf_[len_++] = c;
    buf_[len_] = '\0';
  }
  return *this;
}

Text& Text::add(const char* s) {
  // One bound check per byte and one terminator: every xenstore path is built here, many per event.
  if (s == nullptr || discard_) return *this;
  size_t len = len_;
  while (len + 1 < kCapacity && *s != '\0') buf_[len++] = *s++;
  buf_[len] = '\0';
  len_ = static_cast<uint32_t>(len);
  return *this;
}

Text& Text::add_hex(uint32_t v, int digits) {
  if (discard_) return *this;
  static constexpr char kDigits[] = "0123456789abcdef";
  int n = 8;
  while (n > digits && n > 1 && ((v >> ((n - 1) * 4)) & 0xf) == 0) --n;
  for (int i = n - 1; i >= 0; --i) put(kDigits[(v >> (i * 4)) & 0xf]);
  return *this;
}

Text& Text::add_dec(uint32_t v) {
  if (discard_) return *this;
  char tmp[10];
  int n = 0;
  do {
    tmp[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) put(tmp[--n]);
  return *this;
}

Text& Text::add_quoted(const char* s, size_t max_len) {
  if (discard_) return *this;
  put('"');
  for (size_t i = 0; s != nullptr && s[i] != '\0' && i < max_len; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      put(static_cast<char>(c));
    } else {
      add("\\x").add_hex(c, 2);
    }
  }
  return put('"');
}

}  // namespace pcisplit
