// SPDX-License-Identifier: GPL-2.0-only
// The one C entry point into the C++ core this module has so far: a self-check run at load time that
// builds a device view over an in-memory config space and reads it back through the engine.
#include "conf_space/device.hpp"

namespace {

constinit pcisplit::MemoryConfig g_cfg{256};
constinit pcisplit::DeviceView g_view;

}  // namespace

extern "C" int pcisplit_core_selftest(void) {
  uint8_t* b = g_cfg.bytes();
  b[0] = 0x86;  // a vendor/device pair and a BAR the engine must size
  b[1] = 0x80;
  b[2] = 0xd3;
  b[3] = 0x10;
  pcisplit::DeviceInfo info;
  info.bar_size[0] = 0x20000;
  b[0x13] = 0xfe;
  pcisplit::Text diag;
  if (g_view.build(g_cfg, info, pcisplit::Policy{}, diag) != pcisplit::Err::success) return -1;
  if (g_view.read(0, 4).value() != 0x10d38086) return -2;
  g_view.write(0x10, 4, 0xffffffff);
  if (g_view.read(0x10, 4).value() != 0xfffe0000) return -3;
  if (g_cfg.bytes()[0x10] != 0 || g_cfg.bytes()[0x13] != 0xfe) return -4;  // hardware untouched
  return 0;
}
