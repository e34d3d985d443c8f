// SPDX-License-Identifier: GPL-2.0-only
// pcisplit-evil: a test-only PCI frontend that misbehaves on purpose (docs/lab.md, boot "evil").
// The parts that need no Xen: the command line, the op as it is written to the shared page, the
// names of answers, and the rule a config access is judged by. test/evil/evil.cpp has the rest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/pciif.h"

namespace evil {

// The subcommands, one per misbehaviour, plus the lab's helpers.
//   double-fetch [N]     a second thread rewrites the posted op while the backend handles it
//   storm [N]            N notifications with nothing posted, then N with an op re-posted each time
//   ops                  every op code 0..15 and huge ones; offset/size/devfn/bus/domain bounds
//   msi                  MSI/MSI-X sequences out of order
//   xs-garbage           garbage in the frontend's own xenstore keys, revoked grant, closed port
//   close-reconnect [N]  closing mid-op and reconnecting, N cycles
//   serve [KEY]          connect once, then run the commands written to xenstore KEY (the lab's driver)
//   probe SECONDS [STOP] (dom0, no Xen needed) worst scheduling delay of a 10 ms sleep loop
//   selftest             this file's logic, without Xen
struct Args {
  std::string path = "device/pci/0";  // the frontend directory, relative to the guest's home
  uint32_t op_timeout_ms = 3000;      // bound of every wait for an answer
  std::string command;
  std::vector<std::string> rest;
  std::string error;  // non-empty: the command line is wrong
};
Args parse_args(int argc, const char* const* argv);
bool known_command(const std::string& c);
const char* usage();

// Strict unsigned/signed parsing: decimal or 0x hex, the whole string, no overflow.
bool parse_u64(const std::string& s, uint64_t& out);

// One op as the frontend writes it. entries[0..nentries) go to msix_entries[].entry.
struct OpFields {
  uint32_t cmd = PCISPLIT_OP_CONF_READ;
  uint32_t domain = 0;
  uint32_t bus = 0;
  uint32_t devfn = 0;
  int32_t offset = 0;
  int32_t size = 0;
  uint32_t value = 0;
  uint32_t info = 0;
  std::vector<uint16_t> entries;
};
// Writes every field of `f` to `op` (err to the sentinel below, vectors to 0); not the flags.
void encode_op(volatile pcisplit_op* op, const OpFields& f);
// The backend always writes err; a sentinel left there means it never did.
inline constexpr int32_t kErrSentinel = 0x7eadbeef;

// Answers: XEN_PCI_ERR_* by name, anything else (the in-tree backend may answer a raw -errno) as a number.
std::string err_name(int32_t err);
std::string cmd_name(uint32_t cmd);

// The bounds every backend must enforce for a config access of `size` bytes at `offset` on a function
// with `cfg_size` bytes of config space: size 1, 2 or 4, naturally aligned, inside the space.
bool access_in_bounds(int32_t offset, int32_t size, uint32_t cfg_size);

// Runs the checks of this file; prints failures; returns the number of failures.
int selftest();

}  // namespace evil
