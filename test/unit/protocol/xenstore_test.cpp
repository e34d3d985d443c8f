// SPDX-License-Identifier: GPL-2.0-only
// xenstore vocabulary: formats exactly as libxl/Linux write them, parsers all-or-nothing.
#include <catch2/catch.hpp>
#include <string>

#include "protocol/xenstore.hpp"

using namespace pcisplit;
using namespace pcisplit::xs;

TEST_CASE("formats match libxl's dev-N and pciback's vdev-N / root-N", "[protocol][xenstore]") {
  Text t;
  format_dev(t, Bdf::make(0, 0x03, 0x1f, 7));
  CHECK(std::string(t.c_str()) == "0000:03:1f.7");
  format_vdev(t, Bdf::make(0x1a, 0, 2, 1));
  CHECK(std::string(t.c_str()) == "001a:00:02.01");
  format_root(t, 0xffff, 0xab);
  CHECK(std::string(t.c_str()) == "ffff:ab");
  key_name(t, kDevPrefix, 12);
  CHECK(std::string(t.c_str()) == "dev-12");
}

TEST_CASE("dev-N parses exact DDDD:BB:DD.F and round-trips", "[protocol][xenstore]") {
  Text diag;
  Bdf b;
  REQUIRE(parse_dev("dev-0", "0000:00:04.0", b, diag));
  CHECK(b == Bdf::make(0, 0, 4, 0));
  REQUIRE(parse_dev("dev-1", "abcd:EF:1f.7", b, diag));
  CHECK(b == Bdf::make(0xabcd, 0xef, 0x1f, 7));
  for (unsigned dom : {0u, 1u, 0xffffu}) {
    for (unsigned devfn = 0; devfn < 256; devfn += 7) {
      const Bdf in{static_cast<uint16_t>(dom), 0x42, static_cast<uint8_t>(devfn)};
      Text t;
      format_dev(t, in);
      Bdf out;
      REQUIRE(parse_dev("dev-0", t.c_str(), out, diag));
      CHECK(out == in);
    }
  }
}

TEST_CASE("malformed dev-N values are refused whole, naming the key and the text", "[protocol][xenstore]") {
  const Bdf sentinel = Bdf::make(0x7777, 0x77, 7, 7);
  for (const char* bad : {"", "0000:00:04", "0000:00:04.0 ", " 0000:00:04.0", "000:00:04.0", "0000:00:4.0",
                          "0000:00:20.0", "0000:00:04.8", "0000:00:04.00", "0000-00-04.0", "0000:00:04.0\n",
                          "0x00:00:04.0", "+000:00:04.0", "zzzz:00:04.0"}) {
    Text diag;
    Bdf b = sentinel;
    INFO("value \"" << bad << "\"");
    CHECK_FALSE(parse_dev("dev-3", bad, b, diag));
    CHECK(b == sentinel);
    CHECK(std::string(diag.c_str()).rfind("xenstore key dev-3: malformed value \"", 0) == 0);
  }
  Text diag;
  Bdf b;
  CHECK_FALSE(parse_dev("dev-3", nullptr, b, diag));
  CHECK(std::string(diag.c_str()) == "xenstore key dev-3: missing, expected DDDD:BB:DD.F");
  CHECK_FALSE(parse_dev("dev-4", "00\x01" "0:00:04.0", b, diag));
  CHECK(std::string(diag.c_str()) ==
        "xenstore key dev-4: malformed value \"00\\x010:00:04.0\", expected DDDD:BB:DD.F");
}

TEST_CASE("vdev-N takes a two-digit function, root-N DDDD:BB", "[protocol][xenstore]") {
  Text diag;
  Bdf b;
  CHECK(parse_vdev("vdev-0", "0000:00:01.00", b, diag));
  CHECK(b == Bdf::make(0, 0, 1, 0));
  CHECK_FALSE(parse_vdev("vdev-0", "0000:00:01.0", b, diag));
  CHECK_FALSE(parse_vdev("vdev-0", "0000:00:01.08", b, diag));
  Root r;
  CHECK(parse_root("root-0", "0001:0a", r, diag));
  CHECK(r.domain == 1);
  CHECK(r.bus == 0x0a);
  CHECK_FALSE(parse_root("root-0", "0001:0a:00", r, diag));
  CHECK_FALSE(parse_root("root-0", "1:0a", r, diag));
}

TEST_CASE("numbers: canonical unsigned decimal, bounded counts, states 0-8", "[protocol][xenstore]") {
  Text diag;
  uint32_t v = 99;
  CHECK(parse_u32("pci-op-ref", "0", v, diag));
  CHECK(v == 0);
  CHECK(parse_u32("pci-op-ref", "4294967295", v, diag));
  CHECK(v == 4294967295u);
  for (const char* bad : {"", "-1", "+1", "01", "4294967296", "12a", " 1", "1 ", "0x10", "99999999999"}) {
    v = 99;
    INFO(bad);
    CHECK_FALSE(parse_u32("event-channel", bad, v, diag));
    CHECK(v == 99);
  }
  CHECK(parse_count("num_devs", "256", kMaxDevs, v, diag));
  CHECK_FALSE(parse_count("num_devs", "257", kMaxDevs, v, diag));
  CHECK(std::string(diag.c_str()) == "xenstore key num_devs: value 257 exceeds the limit 256");
  State s = State::unknown;
  CHECK(parse_state("state", "8", s, diag));
  CHECK(s == State::reconfigured);
  CHECK_FALSE(parse_state("state", "9", s, diag));
  CHECK(s == State::reconfigured);
  CHECK(std::string(state_name(State::init_wait)) == "InitWait");
}

TEST_CASE("magic must be exactly \"7\"", "[protocol][xenstore]") {
  Text diag;
  CHECK(parse_magic("magic", "7", diag));
  for (const char* bad : {"", "8", "77", "7\n", " 7"}) CHECK_FALSE(parse_magic("magic", bad, diag));
  CHECK_FALSE(parse_magic("magic", nullptr, diag));
  CHECK(std::string(diag.c_str()) == "xenstore key magic: missing, expected \"7\"");
}

TEST_CASE("opts-N: libxl's string parses, unknown keys are skipped, bad flags refused", "[protocol][xenstore]") {
  Text diag;
  DevOpts o;
  REQUIRE(parse_opts("opts-0", "msitranslate=0,power_mgmt=0,permissive=1,rdm_policy=strict", o, diag));
  CHECK(o.permissive);
  CHECK_FALSE(o.msitranslate);
  DevOpts keep;
  keep.power_mgmt = true;
  for (const char* bad : {"permissive=2", "permissive=", "permissive", "=1", "permissive=1,", ",permissive=1",
                          "permissive=1,,power_mgmt=1", "permissive=10"}) {
    DevOpts x = keep;
    INFO(bad);
    CHECK_FALSE(parse_opts("opts-0", bad, x, diag));
    CHECK(x.power_mgmt);
    CHECK_FALSE(x.permissive);
  }
  REQUIRE(parse_opts("opts-0", "", o, diag));
}

TEST_CASE("text buffers cut overlong messages instead of overflowing", "[protocol]") {
  Text t;
  for (int i = 0; i < 100; ++i) t.add("0123456789");
  CHECK(t.size() == Text::kCapacity - 1);
  CHECK(std::string(t.c_str()).size() == Text::kCapacity - 1);
}
