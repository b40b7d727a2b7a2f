// Epoch-based reclamation: the lockless build's half of grove/epoch.h.
//
// The protocol, in the manner of folly's Rcu.h:
//   reader:    e = g_epoch (acquire); slot = e; fence; load pointers (acquire); read; slot = 0 (release)
//   writer:    unlink (release store of the new pointer); fence; t = g_epoch++ ; queue {object, t}
//   collector: take the queue; fence; scan the slots; free every object whose t is below
//              every pinned epoch (all of them when no slot is pinned)
// The two fences order each reader's pin against each writer's unlink and the collector's
// scan: a reader that can still reach an unlinked object pinned before the unlink, so its
// slot holds an epoch no greater than the object's tag and the collector sees it pinned
// (or already unpinned, its reads done). Readers write only their own slot's cache line.
//
// The reader's fence is the one cost above a plain load (a locked instruction on x86).
// An asymmetric fence (membarrier(2) from the collector, a compiler barrier in readers, as
// folly and liburcu's memb flavour do) would remove it; it was not needed for the targets.
#include "grove/epoch.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace grove::epoch {
namespace {

// One per thread that has ever read, padded to its own cache line so that readers never
// write a line another reader writes. Slots are reused by later threads, never freed.
struct alignas(64) Slot {
  std::atomic<uint64_t> epoch{0};  // 0 = not reading; written only by the owning thread
  // The frozen word of the tree this thread is writing (WriterScope), or null; written
  // only by the owning thread.
  std::atomic<const std::atomic<uint32_t>*> writing{nullptr};
  std::atomic<bool> in_use{false};
  Slot* next = nullptr;            // immutable once the slot is published
};

std::atomic<Slot*> g_slots{nullptr};  // a push-only list: slots are published, never removed
std::atomic<uint64_t> g_epoch{1};      // bumped by every retire(); 0 is left for "not reading"

struct Retired {
  void* ptr;
  void (*deleter)(void*);
  uint64_t epoch;  // the global epoch when it was retired
};

std::mutex g_retired_mutex;
std::vector<Retired> g_retired;  // guarded by g_retired_mutex
std::atomic<std::size_t> g_pending{0};    // a count for the threshold and pending(): relaxed
std::atomic<bool> g_collecting{false};    // one collector at a time; see collect_once()

constexpr std::size_t kCollectThreshold = 256;

Slot* claim_slot() {
  for (Slot* s = g_slots.load(std::memory_order_acquire); s; s = s->next) {  // pairs with the push below
    bool free_slot = false;
    if (s->in_use.compare_exchange_strong(free_slot, true, std::memory_order_acquire)) return s;
  }
  auto* s = new Slot;
  s->in_use.store(true, std::memory_order_relaxed);  // not yet shared: the push below publishes it
  Slot* head = g_slots.load(std::memory_order_relaxed);
  do {
    s->next = head;
  } while (!g_slots.compare_exchange_weak(head, s, std::memory_order_release,  // pairs with the walk above
                                          std::memory_order_relaxed));
  return s;
}

// Trivially constructed and destroyed, so that a pin reaches it with one TLS lookup and no
// initialisation check.
struct ThreadState {
  Slot* slot = nullptr;
  uint32_t depth = 0;
  uint32_t writing_depth = 0;  // nested WriterScopes
};

thread_local ThreadState t_state;

// Gives the thread's slot back when the thread exits; touched only when the slot is claimed.
struct SlotReturn {
  ~SlotReturn() {
    Slot* slot = std::exchange(t_state.slot, nullptr);
    if (slot) slot->in_use.store(false, std::memory_order_release);  // pairs with claim_slot's CAS
  }
};

thread_local SlotReturn t_slot_return;

std::size_t collect_once();

Slot* own_slot(ThreadState& t) {
  if (!t.slot) {
    t.slot = claim_slot();
    (void)&t_slot_return;  // constructs it, so that its destructor runs at thread exit
  }
  return t.slot;
}

}  // namespace

Guard::Guard() noexcept {
  ThreadState& t = t_state;
  if (t.depth++ != 0) return;
  own_slot(t);
  // Acquire pairs with retire()'s fetch_add: a reader that sees an epoch newer than an
  // object's tag also sees the unlink that preceded the tag.
  t.slot->epoch.store(g_epoch.load(std::memory_order_acquire), std::memory_order_relaxed);
  // Pairs with the fence in collect(): either the collector sees this slot as pinned, or
  // this reader's loads that follow see every unlink made before the collector's fence.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

Guard::~Guard() {
  ThreadState& t = t_state;
  if (--t.depth != 0) return;
  t.slot->epoch.store(0, std::memory_order_release);  // pairs with collect()'s slot scan: reads done
}

WriterScope::WriterScope(std::atomic<uint32_t>& frozen) noexcept : frozen_(frozen) {
  ThreadState& t = t_state;
  if (t.writing_depth++ != 0) return;
  Slot* slot = own_slot(t);
  for (;;) {
    slot->writing.store(&frozen, std::memory_order_relaxed);
    // Pairs with Freeze's fence: either the freezer sees this writer (and waits for it), or
    // this writer sees the freeze (and waits for it to end).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint32_t freezes = frozen.load(std::memory_order_relaxed);
    if (freezes == 0) return;
    slot->writing.store(nullptr, std::memory_order_release);
    frozen.wait(freezes, std::memory_order_acquire);  // pairs with ~Freeze's release decrement
  }
}

WriterScope::~WriterScope() {
  ThreadState& t = t_state;
  // Release pairs with Freeze's acquire scan: this writer's changes are visible to the freezer.
  if (--t.writing_depth == 0) t.slot->writing.store(nullptr, std::memory_order_release);
}

Freeze::Freeze(std::atomic<uint32_t>& frozen) : frozen_(frozen) {
  frozen.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with WriterScope's fence
  const Slot* self = t_state.slot;
  for (const Slot* s = g_slots.load(std::memory_order_acquire); s; s = s->next) {  // pairs with claim_slot's push
    // a writer of this tree mid-change finishes without waiting on anything of ours
    while (s != self && s->writing.load(std::memory_order_acquire) == &frozen) std::this_thread::yield();
  }
}

Freeze::~Freeze() {
  frozen_.fetch_sub(1, std::memory_order_release);  // pairs with the writers' acquire wait
  frozen_.notify_all();
}

void retire(void* ptr, void (*deleter)(void*)) {
  // Orders the caller's unlink before the tag, and before any collector's slot scan.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t tag = g_epoch.fetch_add(1, std::memory_order_acq_rel);  // pairs with Guard's acquire load
  {
    std::lock_guard lock(g_retired_mutex);
    g_retired.push_back({ptr, deleter, tag});
  }
  if (g_pending.fetch_add(1, std::memory_order_relaxed) + 1 >= kCollectThreshold) collect();
}

namespace {

// One pass; returns how many objects it freed (0 if another thread is collecting).
std::size_t collect_once() {
  bool idle = false;
  // Acquire pairs with the release store that ends the previous collection: its frees and
  // its kept objects are visible to this one.
  if (!g_collecting.compare_exchange_strong(idle, true, std::memory_order_acquire)) return 0;
  std::vector<Retired> batch;
  {
    std::lock_guard lock(g_retired_mutex);
    batch.swap(g_retired);
  }
  // Pairs with Guard's fence: after it, a slot read as 0 belongs to a reader that cannot
  // reach anything in this batch.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  uint64_t oldest_pinned = UINT64_MAX;
  for (Slot* s = g_slots.load(std::memory_order_acquire); s; s = s->next) {  // pairs with claim_slot's push
    uint64_t e = s->epoch.load(std::memory_order_acquire);  // pairs with Guard's release unpin
    if (e != 0 && e < oldest_pinned) oldest_pinned = e;
  }
  std::vector<Retired> kept;
  std::size_t freed = 0;
  for (const Retired& r : batch) {
    // A reader pinned at epoch e may see objects tagged e or later; older ones are safe.
    if (r.epoch < oldest_pinned) {
      r.deleter(r.ptr);  // may retire more (children of a freed list); they wait their turn
      ++freed;
    } else {
      kept.push_back(r);
    }
  }
  {
    std::lock_guard lock(g_retired_mutex);
    g_retired.insert(g_retired.end(), kept.begin(), kept.end());
  }
  g_pending.fetch_sub(freed, std::memory_order_relaxed);
  g_collecting.store(false, std::memory_order_release);  // pairs with the next collector's CAS
  return freed;
}

}  // namespace

std::size_t collect() {
  collect_once();
  return pending();
}

std::size_t drain() {
  // Freeing an object can retire more (a list's children), so repeat while it helps.
  while (pending() != 0 && collect_once() != 0) {
  }
  return pending();
}

std::size_t pending() { return g_pending.load(std::memory_order_relaxed); }

}  // namespace grove::epoch
