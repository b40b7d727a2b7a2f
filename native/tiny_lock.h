// A one-byte mutex (the futex mutex of Drepper's "Futexes Are Tricky", waiting with
// std::atomic::wait), small enough to give every node its own writer lock. Readers never take it.
//
// Every Tree mutation holds one, so it also opens the write section of grove/epoch.h: in
// the locking build (GROVE_LOCKING) that takes the process-wide exclusive lock first, and
// the node's own lock is then never contended; in the lockless build it is empty.
#pragma once

#include <atomic>
#include <cstdint>

#include "grove/epoch.h"

namespace grove {

class TinyLockGuard {
 public:
  explicit TinyLockGuard(std::atomic<uint8_t>& word) : word_(word) {
    uint8_t state = 0;  // 0 free, 1 held, 2 held with waiters
    if (word_.compare_exchange_strong(state, 1, std::memory_order_acquire)) return;  // pairs with unlock
    if (state != 2) state = word_.exchange(2, std::memory_order_acquire);
    while (state != 0) {
      word_.wait(2, std::memory_order_relaxed);
      state = word_.exchange(2, std::memory_order_acquire);  // pairs with unlock's release
    }
  }
  ~TinyLockGuard() {
    if (word_.exchange(0, std::memory_order_release) == 2) word_.notify_one();  // pairs with lock's acquire
  }
  TinyLockGuard(const TinyLockGuard&) = delete;
  TinyLockGuard& operator=(const TinyLockGuard&) = delete;

 private:
  [[no_unique_address]] epoch::WriteSection section_;  // constructed before the lock is taken, ended after
  std::atomic<uint8_t>& word_;
};

}  // namespace grove
