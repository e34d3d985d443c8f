// SPDX-License-Identifier: GPL-2.0-only
// AER: forward an error to a guest that registered a handler, or kill the guest.
#include "backend/instance.hpp"

namespace pcisplit {

BackendInstance::AerPost BackendInstance::aer_post(Bdf phys, wire::Cmd cmd, int32_t state) {
  volatile wire::SharedInfo* page = page_;
  const int index = topology_.find_phys(phys);
  if (index < 0) return AerPost::not_held;
  if (aer_outstanding_) return AerPost::busy;
  if (page == nullptr || (page->flags & PCISPLIT_B_AERHANDLER) == 0) return AerPost::no_handler;
  const Bdf virt = topology_.virt(index);
  page->aer_op.cmd = static_cast<uint32_t>(cmd);
  page->aer_op.err = state;
  page->aer_op.domain = virt.domain;
  page->aer_op.bus = virt.bus;
  page->aer_op.devfn = virt.devfn;
  __atomic_thread_fence(__ATOMIC_RELEASE);
  __atomic_fetch_or(&page->flags, PCISPLIT_B_ACTIVE, __ATOMIC_SEQ_CST);
  aer_outstanding_ = true;
  aer_phys_ = phys;
  host_.notify();
  return AerPost::posted;
}

// The frontend disconnected, or the function was released (its guest destroyed).
bool BackendInstance::aer_orphaned() const { return page_ == nullptr || topology_.find_phys(aer_phys_) < 0; }

bool BackendInstance::aer_answered() const {
  if (!aer_outstanding_) return false;
  if (aer_orphaned()) return true;  // nobody left to answer
  return (page_->flags & PCISPLIT_B_ACTIVE) == 0;
}

BackendInstance::AerResult BackendInstance::aer_finish(bool timed_out) {
  volatile wire::SharedInfo* page = page_;
  const bool answered = aer_answered();
  aer_outstanding_ = false;
  if (aer_orphaned()) return AerResult::none;
  if (timed_out || !answered) {
    __atomic_fetch_and(&page->flags, ~PCISPLIT_B_ACTIVE, __ATOMIC_SEQ_CST);
    return AerResult::none;
  }
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  const int32_t r = page->aer_op.err;  // read once; anything unexpected counts as no answer
  switch (r) {
    case 2: return AerResult::can_recover;
    case 3: return AerResult::need_reset;
    case 4: return AerResult::disconnect;
    case 5: return AerResult::recovered;
    default: return AerResult::none;
  }
}

bool BackendInstance::aer_kill(Bdf phys) {
  if (topology_.find_phys(phys) < 0) return false;
  write_key(xs::kAerState, xs::kAerFail);
  host_.log("backend: AER the guest cannot handle: destroying it");
  host_.destroy_domain(domid_);
  return true;
}

}  // namespace pcisplit
