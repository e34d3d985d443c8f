// SPDX-License-Identifier: MIT
// xenstore vocabulary of the pci device type: key names, XenbusState, and strict value formats/parsers.
#pragma once

#include "protocol/store.hpp"
#include "protocol/types.hpp"

namespace pcisplit::xs {

// XenbusState, as written in the "state" keys (xen/io/xenbus.h).
enum class State : uint32_t {
  unknown = 0,
  initialising = 1,
  init_wait = 2,
  initialised = 3,
  connected = 4,
  closing = 5,
  closed = 6,
  reconfiguring = 7,
  reconfigured = 8,
};
const char* state_name(State s);

// Keys in the backend directory (/local/domain/0/backend/pci/<domid>/0) ...
inline constexpr char kNumDevs[] = "num_devs";
inline constexpr char kRootNum[] = "root_num";
inline constexpr char kAerState[] = "aerState";
inline constexpr char kAerFail[] = "aerfail";  // value of aerState when the guest must be killed
inline constexpr char kState[] = "state";
// ... indexed keys, "<prefix>N" ...
inline constexpr char kDevPrefix[] = "dev-";      // written by libxl: DDDD:BB:DD.F
inline constexpr char kVdevPrefix[] = "vdev-";    // written by the backend: DDDD:BB:DD.FF
inline constexpr char kRootPrefix[] = "root-";    // written by the backend: DDDD:BB
inline constexpr char kStatePrefix[] = "state-";  // per device XenbusState
inline constexpr char kOptsPrefix[] = "opts-";    // msitranslate=%d,power_mgmt=%d,permissive=%d,rdm_policy=%s
// ... and in the frontend directory (/local/domain/<domid>/device/pci/0).
inline constexpr char kPciOpRef[] = "pci-op-ref";
inline constexpr char kEventChannel[] = "event-channel";
inline constexpr char kMagic[] = "magic";

// Upper bounds on counts a toolstack may write; larger values are refused, not truncated.
inline constexpr uint32_t kMaxDevs = 256;
inline constexpr uint32_t kMaxRoots = 256;

// Builds "<prefix><n>" (e.g. "dev-3").
void key_name(Text& out, const char* prefix, uint32_t n);
// Builds "<dir>/<key>" (a path longer than Text's capacity is cut, and the store then finds no such
// node).
void join(Text& out, const char* dir, const char* key);

// Formatters write exactly what libxl / Linux write (lower-case hex, fixed widths).
void format_dev(Text& out, Bdf bdf);                   // %04x:%02x:%02x.%01x
void format_vdev(Text& out, Bdf bdf);                  // %04x:%02x:%02x.%02x (the PV protocol's width)
void format_root(Text& out, uint16_t domain, uint8_t bus);  // %04x:%02x

// Parsers are all-or-nothing: on failure `out` is untouched and `diag` names the key and the text.
struct Root {
  uint16_t domain = 0;
  uint8_t bus = 0;
};
struct DevOpts {
  bool msitranslate = false;
  bool power_mgmt = false;
  bool permissive = false;
};
bool parse_dev(const char* key, const char* text, Bdf& out, Text& diag);
bool parse_vdev(const char* key, const char* text, Bdf& out, Text& diag);
bool parse_root(const char* key, const char* text, Root& out, Text& diag);
bool parse_count(const char* key, const char* text, uint32_t max, uint32_t& out, Text& diag);
bool parse_u32(const char* key, const char* text, uint32_t& out, Text& diag);
bool parse_state(const char* key, const char* text, State& out, Text& diag);
bool parse_magic(const char* key, const char* text, Text& diag);
// Known keys must be well-formed (0 or 1); unknown keys are skipped so a newer toolstack still works.
bool parse_opts(const char* key, const char* text, DevOpts& out, Text& diag);

// Reads <dir>/<key> outside a transaction and hands the text to `parse` (callable: const char* ->
// bool, one of the parsers above with its key and output bound). False when the node is missing or
// longer than any value these keys hold, or when `parse` refuses it (its diag says why then).
inline constexpr size_t kValueMax = 128;
template <typename Parse>
bool read_parsed(Store& store, const char* dir, const char* key, Parse&& parse) {
  char buf[kValueMax];
  Text path;
  join(path, dir, key);
  if (store.read(kNoTx, path.c_str(), buf, sizeof buf) != StoreStatus::ok) return false;
  return parse(static_cast<const char*>(buf));
}

// Reads <dir>/state. A missing node is State::unknown; a malformed one too, with `diag` set.
State read_state(Store& store, const char* dir, Text& diag);
// The same for a state node named by its whole path (a caller that reads it often builds it once).
State read_state_at(Store& store, const char* path, Text& diag);

}  // namespace pcisplit::xs
