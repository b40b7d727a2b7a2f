// The contract of grove/epoch.h, in both builds of the core (this test is compiled as
// reclamation_test and reclamation_test_locking): a retired object outlives every reader
// that could see it and is then freed exactly once; guards and write sections nest; and in
// the locking build a write section excludes readers while readers share.
#include <atomic>
#include <chrono>
#include <thread>

#include "check.h"
#include "grove/epoch.h"

using namespace grove;

namespace {

using namespace std::chrono_literals;

std::atomic<int> g_freed{0};

struct Tracked {
  ~Tracked() { g_freed.fetch_add(1); }
};

void retire_tracked() { epoch::retire(new Tracked); }

void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load()) std::this_thread::yield();
}

// A reader thread that holds an epoch::Guard from construction (which returns once the
// guard is held) until release(), which joins it.
class PinnedReader {
 public:
  PinnedReader()
      : thread_([this] {
          epoch::Guard pin;
          reading_ = true;
          wait_for(done_reading_);
        }) {
    wait_for(reading_);
  }
  void release() {
    done_reading_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> reading_{false}, done_reading_{false};
  std::thread thread_;  // last: starts once the flags exist
};

}  // namespace

TEST(retired_object_outlives_a_reader_that_could_see_it) {
  g_freed = 0;
  std::atomic<bool> retired{false};
  PinnedReader reader;
  // Lockless: retire() returns and the object waits. Locking: retire() waits for the reader.
  std::thread writer([&] {
    retire_tracked();
    retired = true;
  });
  std::this_thread::sleep_for(50ms);
  epoch::collect();
  CHECK(g_freed == 0);
  reader.release();
  writer.join();
  CHECK(retired.load());
  CHECK(epoch::drain() == 0);
  CHECK(g_freed == 1);
}

TEST(readers_share) {
  std::atomic<bool> first_in{false}, second_in{false};
  std::thread first([&] {
    epoch::Guard pin;
    first_in = true;
    wait_for(second_in);  // would never return if the second reader had to wait for the first
  });
  wait_for(first_in);
  std::thread second([&] {
    epoch::Guard pin;
    second_in = true;
  });
  first.join();
  second.join();
  CHECK(second_in.load());
}

TEST(guards_and_sections_nest) {
  g_freed = 0;
  {
    epoch::WriteSection outer;
    {
      epoch::WriteSection inner;
      epoch::Guard pin;  // a writer reads what it writes without deadlocking
      epoch::Guard nested;
      retire_tracked();
    }
    retire_tracked();
  }
  {
    epoch::Guard pin;
    epoch::Guard nested;
    retire_tracked();  // the reader's own retire: freed after it unpins
  }
  CHECK(epoch::drain() == 0);
  CHECK(g_freed == 3);
}

TEST(many_retires_are_all_freed) {
  g_freed = 0;
  std::thread threads[3];
  for (std::thread& t : threads) {
    t = std::thread([] {
      for (int i = 0; i < 2000; ++i) {
        epoch::Guard pin;
        if (i % 2 == 0) retire_tracked();
      }
      for (int i = 0; i < 1000; ++i) retire_tracked();
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(epoch::drain() == 0);
  CHECK(g_freed == 6000);
}

#ifdef GROVE_LOCKING
TEST(locking_build_write_section_excludes_readers) {
  std::atomic<bool> writing{false};
  PinnedReader reader;
  std::thread writer([&] {
    epoch::WriteSection section;
    writing = true;
  });
  std::this_thread::sleep_for(50ms);
  CHECK(!writing.load());
  reader.release();
  writer.join();
  CHECK(writing.load());
}
#endif

int main() { return check::run_all(); }
