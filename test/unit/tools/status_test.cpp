// SPDX-License-Identifier: GPL-2.0-only
// pcisplit status's readers: pciback's attribute formats (docs/xen-pciback.md) and xenstore-ls -f.
#include "support/fake_device.hpp"
#include "tools/pcisplit/status.hpp"

using namespace pcisplit;
using namespace pcisplit::user;

TEST_CASE("irq_handlers, permissive and slots as the module prints them", "[status]") {
  std::vector<IrqHandler> h;
  std::string error;
  REQUIRE(parse_irq_handlers("0000:00:04.0:on:acking:12\n0000:00:05.0:off:not acking:0\n", h, error));
  REQUIRE(h.size() == 2);
  CHECK(h[0].bdf == Bdf::make(0, 0, 4, 0));
  CHECK(h[0].on);
  CHECK(h[0].acking);
  CHECK(h[0].handled == 12);
  CHECK_FALSE(h[1].on);
  CHECK_FALSE(h[1].acking);
  CHECK_FALSE(parse_irq_handlers("0000:00:04.0:on:acking:12\n0000:00:04.0:maybe:acking:1\n", h, error));
  CHECK(error == "line 2: expected DDDD:BB:DD.F:on|off:acking|not acking:COUNT: \"0000:00:04.0:maybe:acking:1\"");
  CHECK(h.size() == 2);  // untouched on failure
  std::vector<Bdf> b;
  REQUIRE(parse_bdf_lines("0000:00:04.0\n0001:02:1f.7\n", b, error));
  CHECK(b.back() == Bdf::make(1, 2, 0x1f, 7));
  CHECK_FALSE(parse_bdf_lines("0000:00:04\n", b, error));
  CHECK(error.find("line 1: expected a PCI address DDDD:BB:DD.F") == 0);
  std::vector<std::string> s;
  REQUIRE(parse_slots("0000:00:04.0\n0000:00:05.*\n0000:03:*.*\n", s, error));
  CHECK(s.size() == 3);
  CHECK_FALSE(parse_slots("0000:03:*.1\n", s, error));
}

TEST_CASE("denials: total, registers, and the +N of those not listed", "[status]") {
  std::vector<Denials> d;
  std::string error;
  REQUIRE(parse_denials("0000:00:04.0 0\n0000:00:05.0 40 004:1 010:30 0e0:9 +3\n", d, error));
  REQUIRE(d.size() == 2);
  CHECK(d[0].total == 0);
  CHECK(d[0].regs.empty());
  CHECK(d[1].total == 40);
  REQUIRE(d[1].regs.size() == 3);
  CHECK(d[1].regs[1] == std::pair<uint16_t, uint32_t>{0x10, 30});
  CHECK(d[1].more == 3);
  CHECK_FALSE(parse_denials("0000:00:05.0 4 +3 010:1\n", d, error));
  CHECK(error == "line 1: expected OFF:COUNT (hex offset, decimal count) or a final +N, not \"+3\": \"0000:00:05.0 4 +3 010:1\"");
  CHECK_FALSE(parse_denials("0000:00:05.0\n", d, error));
  CHECK_FALSE(parse_denials("0000:00:05.0 4 10:1\n", d, error));
}

TEST_CASE("pirqs: kind, count, the PIRQs listed and the +N of the rest", "[status]") {
  std::vector<PirqReport> p;
  std::string error;
  REQUIRE(parse_pirqs("0000:00:04.0 none 0\n0000:00:05.0 msi 1 54\n0000:00:06.0 msix 18 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 +2\n",
                      p, error));
  REQUIRE(p.size() == 3);
  CHECK(p[0].kind == "none");
  CHECK(p[0].count == 0);
  CHECK(p[0].pirqs.empty());
  CHECK(p[1].kind == "msi");
  CHECK(p[1].pirqs == std::vector<uint32_t>{54});
  CHECK(p[2].count == 18);
  CHECK(p[2].pirqs.size() == 16);
  CHECK(p[2].more == 2);
  // All or nothing: the output is untouched by a bad file.
  CHECK_FALSE(parse_pirqs("0000:00:04.0 msix 2 55\n", p, error));
  CHECK(error == "line 1: the PIRQs listed and +N do not add up to COUNT (or none with PIRQs, msi/msix without): \"0000:00:04.0 msix 2 55\"");
  CHECK(p.size() == 3);
  CHECK_FALSE(parse_pirqs("0000:00:04.0 none 1 5\n", p, error));
  CHECK_FALSE(parse_pirqs("0000:00:04.0 msi 0\n", p, error));
  CHECK_FALSE(parse_pirqs("0000:00:04.0 intx 1 5\n", p, error));
  CHECK_FALSE(parse_pirqs("0000:00:04.0 msi 1 +1 5\n", p, error));
  CHECK_FALSE(parse_pirqs("0000:00:04.0 msi 1 0x36\n", p, error));
  CHECK_FALSE(parse_pirqs("0000:00:04.0 msix 70000\n", p, error));
}

TEST_CASE("resets: method, last result, count, DEAD and why not", "[status]") {
  std::vector<ResetReport> r;
  std::string error;
  REQUIRE(parse_resets("0000:00:04.0 method=flr last=ok(bind,flr) at=3.250 count=1 | pm: No_Soft_Reset set;\n"
                       "0000:00:05.0 method=none last=error-5(do_flr,bus) at=100.000 count=0 DEAD(vendor ID reads ffff) | flr: no FLR in DevCap; af_flr: no AF capability;\n"
                       "0000:00:06.0 method=secondary_bus last=never count=0 |\n",
                       r, error));
  REQUIRE(r.size() == 3);
  CHECK(r[0].method == "flr");
  CHECK(r[0].last == "ok");
  CHECK(r[0].occasion == "bind");
  CHECK(r[0].used == "flr");
  CHECK(r[0].at == "3.250");
  CHECK(r[0].count == 1);
  CHECK(r[0].dead.empty());
  CHECK(r[0].why_not == "pm: No_Soft_Reset set;");
  CHECK(r[1].last == "error-5");
  CHECK(r[1].dead == "vendor ID reads ffff");
  CHECK(r[2].last == "never");
  CHECK(r[2].at.empty());
  CHECK(r[2].why_not.empty());
  CHECK_FALSE(parse_resets("0000:00:04.0 method=flr last=ok(bind,flr) count=1 |\n", r, error));
  CHECK(error.find("line 1: expected at=SECONDS after last=ok(bind,flr)") == 0);
  CHECK_FALSE(parse_resets("0000:00:04.0 method=flr last=never count=1\n", r, error));
  CHECK(error.find("no \" |\"") != std::string::npos);
  CHECK_FALSE(parse_resets("0000:00:04.0 method=flr last=never count=x |\n", r, error));
}

TEST_CASE("quirks: per function, its ids and its fields", "[status]") {
  std::vector<QuirkBlock> q;
  std::string error;
  REQUIRE(parse_quirks("00:04.0\n\t8086:10d3:8086:0000\n\t\t000000e0:4:0000ffff\n\t\t00000040:1:000000ff\n", q, error));
  REQUIRE(q.size() == 1);
  CHECK(q[0].bus == 0);
  CHECK(q[0].devfn == Bdf::make(0, 0, 4, 0).devfn);
  CHECK(q[0].ids == "8086:10d3:8086:0000");
  CHECK(q[0].fields == std::vector<std::string>{"000000e0:4:0000ffff", "00000040:1:000000ff"});
  CHECK_FALSE(parse_quirks("\t\t000000e0:4:0000ffff\n", q, error));
  CHECK(error.find("under a function") != std::string::npos);
}

TEST_CASE("a saved xenstore-ls -f listing reads like the store", "[status][xenstore]") {
  std::string error;
  auto xs = parse_xenstore_ls("/local/domain/0/backend/pci/1/0/dev-0 = \"0000:00:04.0\"\n"
                              "/local/domain/0/backend/pci/1/0/domain = \"a \\\"quoted\\\" \\\\ name\\x21\"\n"
                              "/local/domain/1/name = \"guest\"\n",
                              error);
  REQUIRE(xs != nullptr);
  CHECK(xs->read("/local/domain/0/backend/pci/1/0/dev-0") == "0000:00:04.0");
  CHECK(xs->read("/local/domain/0/backend/pci/1/0/domain") == "a \"quoted\" \\ name!");
  CHECK(xs->read("/local/domain/0/backend/pci/1/0/dev-1") == std::nullopt);
  CHECK(xs->list("/local/domain") == std::vector<std::string>{"0", "1"});
  CHECK(xs->list("/local/domain/0/backend/pci/1/0/dev-0") == std::vector<std::string>{});
  CHECK(xs->list("/local/domain/2") == std::nullopt);
  CHECK(xs->failure().empty());
  CHECK(parse_xenstore_ls("/a = \"x\"\n/a/b = unquoted\n", error) == nullptr);
  CHECK(error.find("line 2: expected `/path = \"value\"`") == 0);
  CHECK(parse_xenstore_ls("/a = \"\\q\"\n", error) == nullptr);
  CHECK(parse_xenstore_ls("a = \"x\"\n", error) == nullptr);
}
