// Epoch-based reclamation for the lockless read paths.
//
// A reader pins the current epoch for the span of one native call (an epoch::Guard on the
// stack), loads atomic pointers with acquire, reads, and unpins. Writers unlink an object,
// then retire() it; the object is freed once no reader pinned before the unlink can still
// be reading it. Readers write only their own cache line, so read cost does not grow with
// the number of reading threads. A pin must never outlive the native call that took it.
#pragma once

#include <cstddef>

namespace grove::epoch {

// Pins the calling thread while it lives. Nested guards cost one thread-local increment.
class Guard {
 public:
  Guard() noexcept;
  ~Guard();
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
};

// Runs deleter(ptr) once every reader that might have seen ptr has unpinned. Call it only
// after ptr is unreachable for readers that pin from now on.
void retire(void* ptr, void (*deleter)(void*));

template <class T>
void retire(T* ptr) {
  retire(static_cast<void*>(ptr), [](void* p) { delete static_cast<T*>(p); });
}

// Frees what no pinned reader can see; returns how many objects are still waiting.
std::size_t collect();

// Collects until nothing is waiting or a pinned reader holds the rest back (for shutdown
// and tests). Returns how many objects are still waiting.
std::size_t drain();

// How many retired objects are waiting.
std::size_t pending();

}  // namespace grove::epoch
