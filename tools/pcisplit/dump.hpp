// SPDX-License-Identifier: GPL-2.0-only
// Config-space dumps in `lspci -xxxx` format (what `lspci -F` reads), plus what config space alone
// cannot say: the BAR and ROM sizes and dom0's IRQ, from sysfs (comment lines) or from `lspci -vv`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "conf_space/device.hpp"

namespace pcisplit::user {

// Where a dump's BAR and ROM sizes came from. Without them the guest's BARs cannot be computed; the
// tool says so rather than showing the zeros an unsized BAR reads as.
enum class Sizes : uint8_t {
  unknown,   // a plain `lspci -xxxx` dump
  resource,  // "# resource N START END FLAGS" lines: the sysfs resource file (pcisplit capture)
  lspci_vv,  // "[size=...]" of the device's `lspci -vv` Region / Expansion ROM lines
};

// What `lspci -vv` says of one function that config space cannot: the Region and Expansion ROM sizes
// (lspci reads them from sysfs) and "Interrupt: pin A routed to IRQ N" (sysfs irq).
struct Verbose {
  uint64_t bar_size[6] = {};
  uint64_t rom_size = 0;
  int32_t irq = -1;
  unsigned regions = 0;  // Region and Expansion ROM lines seen
  unsigned sized = 0;    // of those, the ones with "[size=...]"
  bool in_caps = false;  // past the first "Capabilities:" line (SR-IOV's VF Regions are not BARs)
  unsigned seen = 0;     // bit N: Region N seen, bit 6: the ROM (each once)
  int first_line = 0;    // where the device's verbose lines start (for messages)
};

// Takes one indented line of `lspci -vv` output (leading blanks and tabs allowed). Lines that carry
// nothing for us are accepted and skipped; a Region / ROM / Interrupt line that does not parse is an
// error in `why`.
bool parse_verbose_line(const std::string& line, Verbose& v, std::string& why);

// One function's config space as captured.
struct Dump {
  std::string title;             // the lspci line after the address, e.g. "Ethernet controller: ..."
  Bdf bdf;
  std::vector<uint8_t> config;  // 256 or 4096 bytes
  DeviceInfo info;              // bar_size/rom_size are only meaningful when sizes != unknown
  Sizes sizes = Sizes::unknown;
  std::string sizes_from;       // for people: which lines or file gave the sizes
  std::string irq_from;         // same for info.irq (empty: unknown, info.irq == -1)
  std::string verbose_note;     // set when lspci -vv text was given but could not give sizes
  std::vector<std::string> notes;  // other comment lines, kept for the reader
};

// Parses a dump file: one or more functions in `lspci -xxxx` format. Per function, comment lines
// "# resource N START END FLAGS" (the sysfs resource file's line N) and "# irq N" (sysfs irq) before
// its device line or among its rows give the sizes and the IRQ; the indented lines of `lspci -vv`
// (`lspci -vv -xxxx` output, or an `lspci -vv` block of the same address in the same file) give them
// too, and are checked against the comment lines when both are there. Every malformed line is an
// error naming the line number.
std::optional<std::vector<Dump>> parse_dumps(const std::string& text, std::string& error);
// The same for a text that must hold exactly one function.
std::optional<Dump> parse_dump(const std::string& text, std::string& error);
std::optional<std::vector<Dump>> load_dumps(const std::string& path, std::string& error);
std::optional<Dump> load_dump(const std::string& path, std::string& error);

// Parses `lspci -vv` output (any number of functions; hex rows and comments are skipped, so
// `lspci -vvxxxx` output works too) into each function's Verbose, in order of first appearance.
struct VerboseDevice {
  Bdf bdf;
  Verbose v;
};
std::optional<std::vector<VerboseDevice>> parse_lspci_vv(const std::string& text, std::string& error);

// Gives `dump` the sizes (and, with them, the IRQ) of `v`, said to come from `where`. A text whose
// Region lines carry no [size=] (lspci -vv of a dump, not of sysfs) gives nothing and sets
// dump.verbose_note. Sizes or an IRQ that disagree with the dump's own resource/irq lines are an error.
bool apply_verbose(Dump& dump, const Verbose& v, const std::string& where, std::string& error);

// Reads /sys/bus/pci/devices/<bdf>/{config,resource,irq} (root sees the whole space). A missing or
// malformed file is an error: the view would otherwise show unsized BARs as zeros.
std::optional<Dump> load_sysfs(const std::string& sysfs_dir, std::string& error);

// Renders bytes as `lspci -xxxx` does: "BB:DD.F title" (with_domain: "DDDD:BB:DD.F title") then
// 16 bytes a row.
std::string format_lspci(const Bdf& bdf, const std::string& title, const uint8_t* bytes, size_t size,
                         bool with_domain = false);

// "DDDD:BB:DD.F", and its parser (also "BB:DD.F", domain 0), strict: lspci's and sysfs's widths.
std::string bdf_name(const Bdf& bdf);
bool parse_pci_address(const std::string& text, Bdf& out);

// The header's BAR registers and ROM register: 6 and 0x30 for a type-0 header, 2 and 0x38 for a
// bridge, none (0, 0) for others.
unsigned bar_count(const std::vector<uint8_t>& config);
uint16_t rom_offset(const std::vector<uint8_t>& config);
// The BARs whose register is the upper half of a 64-bit memory BAR below it (bit N: BAR N).
unsigned upper_halves(const std::vector<uint8_t>& config);

// Fills a MemoryConfig with the dump's bytes.
void load_into(const Dump& dump, MemoryConfig& cfg);

}  // namespace pcisplit::user
