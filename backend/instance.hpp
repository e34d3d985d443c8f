// SPDX-License-Identifier: GPL-2.0-only
// One backend instance per guest (backend/pci/<domid>/0), driven by xenstore exactly as libxl drives
// the in-tree pciback: InitWait, export dev-N and publish vdev-N/root-N/state-N, wait for the
// frontend's pci-op-ref/event-channel/magic, check magic, map, bind, Connected; hot-plug and
// hot-unplug through Reconfiguring/Reconfigured.
//
// Functions are tracked by their physical address (dev-N's value), never by N: libxl renumbers the
// dev-N/state-N keys after every detach and adds new devices at num_devs, so an index only says
// where to write vdev-N and state-N. A function is given back to dom0 when its dev-N says Closing or
// Closed during a reconfiguration, when no dev-N names it any more, when the guest is destroyed (its
// home /local/domain/<domid> removed: libxl leaves this directory behind then), or when the backend
// device goes away (stop()); a frontend that closes only disconnects (it may reconnect; Xen still
// assigns the functions to the guest until the toolstack removes them).
#pragma once

#include "backend/dispatch.hpp"
#include "protocol/store.hpp"
#include "protocol/xenstore.hpp"

namespace pcisplit {

// What an instance needs from the host besides xenstore (kernel glue; test fakes; the simulator).
class BackendHost {
 public:
  // Maps the frontend's granted page and binds its event channel; undone by disconnect().
  virtual Err connect(uint16_t domid, uint32_t gref, uint32_t port, volatile wire::SharedInfo** page) = 0;
  virtual void disconnect() = 0;
  virtual void notify() = 0;
  // Takes a physical function for the guest: builds its view (with the per-device permissive flag)
  // and hands out its platform. `diag` says why not (absent, not owned by the backend, ...).
  virtual Err export_device(Bdf phys, const xs::DevOpts& opts, PhysFunction& fn, DeviceView*& view,
                            DevicePlatform*& platform, Text& diag) = 0;
  // Gives it back: function reset, bind-time config restored (the core has turned MSI/MSI-X off).
  virtual void release_device(Bdf phys) = 0;
  // Destroys the guest (AER it cannot handle). The toolstack is not relied on: xl never reads aerState.
  virtual void destroy_domain(uint16_t domid) = 0;
  virtual void log(const char* message) = 0;
  // Asks for one call of BackendInstance::timer_fired() in `ms` milliseconds (re-arming moves it).
  // A host without timers never forces a detach the frontend ignores.
  // (These three defaults are defined in instance.cpp, out of the class: see kernel_store.hpp for why
  // a kernel module wants no virtual function defined in a header.)
  virtual void arm_timer(uint32_t ms);
  // The guest's ops (on_event) may run beside every other call into the instance, except while
  // the instance holds this lock: around what on_event reads that changes (the page and channel,
  // the functions in the topology and the dispatcher). Never held across xenstore I/O, an export
  // or a release (the reset), so a guest's ops are answered while its backend talks to xenstore
  // or resets one of its functions. A host that serialises every call leaves them empty.
  virtual void lock_ops();
  virtual void unlock_ops();

 protected:
  ~BackendHost() = default;
};

class BackendInstance final : public StoreWatcher {
 public:
  static constexpr size_t kPathMax = 96;
  static constexpr int kTxRetries = 8;  // a write transaction that keeps conflicting is given up, logged

  BackendInstance(Store& store, BackendHost& host, uint16_t domid, Topology::Mode mode);
  // Registers the watches and moves to InitWait. Call once.
  StoreStatus start();
  // Tears everything down (the backend device goes away or the guest died).
  void stop();
  // A detach the frontend does not follow into Reconfiguring within this time is forced: libxl gives
  // up waiting at some point, deassigns the function and lists it as assignable again, and the guest
  // must not keep reaching it through this backend (the in-tree backend lets it). 60 s, not libxl's
  // 10 s: in the lab (TCG) Linux's pcifront took over 10 s to remove an e1000e while xl still waited,
  // and a 10 s grace took the function from under it (docs/backend.md).
  static constexpr uint32_t kDetachGraceMs = 60000;
  // The host's timer (arm_timer) ran out.
  void timer_fired();

  // The frontend notified the event channel. True when an op was posted and answered; false for a
  // spurious event (the glue tells Xen, which throttles event storms: XSA-332).
  bool on_event();

  // Watches may fire from inside our own writes (the simulator delivers synchronously); a firing
  // during an evaluation only asks for one more pass. The glue serialises calls into an instance,
  // except on_event (see BackendHost::lock_ops).
  void watch_fired(const char* path, const char* token) override;

  // AER, driven by the glue's pci_error_handlers for an exported function (backend/aer.cpp).
  // PCI_ERS_RESULT_* as the frontend reports them in aer_op.err.
  enum class AerResult : int32_t { none = 1, can_recover = 2, need_reset = 3, disconnect = 4, recovered = 5 };
  // What aer_post() did. The caller kills the guest for no_handler only (as Linux's backend): a
  // request already outstanding (busy; the glue runs one recovery call per guest at a time, so
  // only a caller that does not) or a function released meanwhile (not_held) is nothing the
  // guest did.
  enum class AerPost : int32_t { posted = 0, no_handler = 1, busy = 2, not_held = 3 };
  // Posts `cmd` (aer_detected/mmio/slotreset/resume) with `state` for the guest's handler:
  // no_handler when no frontend's page is mapped or the frontend has not set AERHANDLER. Whatever
  // our state (a hot-plug round may be under way): the page and the channel are what it needs.
  AerPost aer_post(Bdf phys, wire::Cmd cmd, int32_t state);
  // True once the frontend has answered the posted request (it cleared _XEN_PCIB_active), or once
  // nobody can answer it any more: the frontend disconnected or the function was released meanwhile
  // (its guest destroyed); aer_finish then says `none`.
  bool aer_answered() const;
  // Ends the request: the guest's answer, or `none` on timeout (the glue's bounded wait ran out).
  AerResult aer_finish(bool timed_out);
  // Writes aerState=aerfail in the backend directory and asks the host to destroy the guest, if
  // `phys` is still this guest's: false (nothing done) once it was released (the guest is gone, and
  // the function may already be another guest's).
  bool aer_kill(Bdf phys);

  xs::State state() const { return state_; }
  // How often the frontend's state node held garbage (logged once per run of bad values).
  uint64_t malformed_frontend_states() const { return fe_malformed_; }
  Dispatcher& dispatcher() { return dispatcher_; }
  Topology& topology() { return topology_; }

 private:
  // A frontend state as read: absent (the guest's xenstore home is gone) and malformed (the guest
  // wrote garbage; ignored, logged once) are told apart from the states themselves.
  struct FeState {
    bool present = false;
    bool valid = false;
    xs::State state = xs::State::unknown;
  };
  // What sync() may do besides releasing functions no dev-N names any more (the toolstack removed them).
  enum class Sync : uint8_t {
    release_only,  // Connected without a reconfiguration: the list only shrinks behind our back
    add,           // no frontend connected: export every dev-N in state Initialising, release
                   // Closing/Closed (no guest driver can be using them)
    reconfigure,   // Reconfiguring on both sides: export Initialising, release Closing/Closed
    force_detach,  // the frontend ignored a detach past kDetachGraceMs: release Closing/Closed only
  };

  // One index of libxl's list, as snapshot() read it.
  struct ListedDev {
    xs::State state = xs::State::unknown;  // unknown: state-N absent or malformed
    bool dev_ok = false;                   // dev-N present and well-formed
    Bdf phys;
    bool vdev_ok = false;                  // vdev-N present and well-formed
    Bdf virt;
    bool unusable = false;  // state-N or dev-N present but malformed or too long (not merely absent)
    // What state-N and dev-N read as, raw (raw_key()): how write_outcome() finds this entry again
    // after libxl renumbered the list, whether or not the values parse.
    uint32_t state_raw = 0, dev_raw = 0;
    // opts-N, read in the same transaction for an index being added only (Initialising, usable
    // dev-N): not_found means the defaults; ok with !opts_ok is malformed; anything else unreadable.
    StoreStatus opts_read = StoreStatus::not_found;
    bool opts_ok = false;
    xs::DevOpts opts;
  };
  // What sync() decided for a listed function, for write_outcome(): vdev-N (nullptr: not written),
  // state-N, and error-N (nullptr: removed, a refusal of what libxl had at that index before).
  struct Outcome {
    const char* vdev;
    xs::State state;
    const char* error;
  };
  enum class Snap : uint8_t { ok, fatal, retry };
  // What a question about the list found: unknown when it could not be read (a store failure
  // decides nothing).
  enum class Found : uint8_t { no, yes, unknown };

  void reevaluate();
  Snap snapshot(Text& diag);
  void refuse_bad_dev(uint32_t n, const ListedDev& d);
  void why_unusable(uint32_t n, Text& why);
  void remove_indexed(const char* prefix, uint32_t n);
  void setup();  // export every dev-N in state Initialising, publish, -> Initialised
  bool offline();  // the toolstack wrote online=0 (device removal)
  bool guest_home_gone();  // /local/domain/<domid> no longer exists: the toolstack destroyed the guest
  bool aer_orphaned() const;  // nobody can answer the outstanding AER request any more
  Found closing_listed();  // a held function listed Closing: a detach not served yet
  Found round_pending();   // the list asks for a detach or an export the last round did not serve
  void track_detach();     // the detach timer runs while closing_listed()
  bool live_state() const;  // Connected, Reconfiguring or Reconfigured: a frontend connected
  void attach();
  void reconfigure();
  bool sync(Sync mode, bool* changed = nullptr);  // false: fatal (num_devs unreadable)
  bool export_one(uint32_t n, const ListedDev& d);
  void why_opts(uint32_t n, Text& why);
  void refuse(uint32_t n, const ListedDev& d, const char* why);
  // The rest of the list's bookkeeping is in outcome.cpp: what a key read as (ListedDev's raw
  // values), where an entry is listed now, and what is written back for it.
  static uint32_t raw_key(StoreStatus st, const char* text);
  StoreStatus find_listed(TxId tx, uint32_t hint, const ListedDev& d, int& at);
  bool write_outcome(uint32_t n, const ListedDev& d, const Outcome& out);  // false: the entry left the list
  void release(Bdf phys);
  void publish_roots();
  void release_all();
  void quiesce_all();   // interrupts off and views reset, functions kept; after disconnect()
  void disconnect();    // page unmapped, channel unbound; the guest keeps its functions (L5)
  void fatal(const char* what);
  void close_with_error(const char* what);
  void set_state(xs::State s);
  bool read_key(const char* key, char* out, size_t cap);
  StoreStatus read_key_status(const char* key, char* out, size_t cap);
  bool read_frontend(const char* key, char* out, size_t cap);
  FeState read_fe_state();
  xs::State read_be_state();
  void write_key(const char* key, const char* value);
  // One transaction in the backend's directory, as every write of ours needs it: begun, checked
  // that our "state" node still exists (a directory the toolstack removed is never recreated),
  // handed to `body`, committed; again on a conflict, up to kTxRetries times. not_found: the
  // directory is gone, nothing written; else the last status (a failing body aborts).
  using DirTxBody = StoreStatus (*)(BackendInstance& self, TxId tx, void* arg);
  StoreStatus in_dir_tx(DirTxBody body, void* arg);
  void write_indexed(const char* prefix, uint32_t n, const char* value);
  void write_device_state(uint32_t n, xs::State s);  // state-N, from the enum

  // Holds the host's ops lock for a scope (BackendHost::lock_ops). Defined in instance.cpp: one
  // copy of the calls in the module, not one per file (the kernel build refuses COMDAT copies).
  class OpsLock {
   public:
    explicit OpsLock(BackendHost& host);
    ~OpsLock();
    OpsLock(const OpsLock&) = delete;
    OpsLock& operator=(const OpsLock&) = delete;

   private:
    BackendHost& host_;
  };

  Store& store_;
  BackendHost& host_;
  uint16_t domid_;
  Topology topology_;
  Dispatcher dispatcher_{topology_};
  char be_path_[kPathMax];
  char fe_path_[kPathMax];
  // <be_path_>/state and <fe_path_>/state, built once: every watch firing reads both and every
  // write checks the first. (Room for the longest directory, "/" and "state".)
  char be_state_path_[kPathMax + sizeof xs::kState];
  char fe_state_path_[kPathMax + sizeof xs::kState];
  xs::State state_ = xs::State::initialising;
  volatile wire::SharedInfo* page_ = nullptr;
  xs::State fe_last_ = xs::State::unknown;  // the last well-formed frontend state
  bool fe_malformed_logged_ = false;         // a guest writing garbage in a loop is logged once (L1)
  uint64_t fe_malformed_ = 0;
  uint32_t changes_ = 0;  // functions exported or released so far (sync() compares)
  ListedDev listed_[xs::kMaxDevs];  // sync()'s snapshot of the list
  uint32_t nlisted_ = 0;
  bool detach_timer_ = false;  // armed for a detach not served yet (track_detach)
  bool failed_ = false;        // fatal() ran: no restart for a new frontend until the backend goes
  bool aer_outstanding_ = false;
  Bdf aer_phys_{};  // the function of the outstanding request
  Coalescer coalescer_;
};

}  // namespace pcisplit
