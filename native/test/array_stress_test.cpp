// Readers take an array node's buffer, sum it with the kernels and check it is intact
// while writers replace it (set), rebuild it (scale) and resize it; other threads register
// schemas while readers take snapshots of them. Run under ThreadSanitizer and
// AddressSanitizer (native/test/run.sh), this shows a buffer is never freed or changed
// under a holder, and the final drain shows no buffer leaks.
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "grove/array_ops.h"
#include "grove/epoch.h"
#include "grove/simd.h"
#include "grove/tree.h"

using namespace grove;

namespace {

constexpr int kReaders = 3;


// A buffer of n copies of k: intact when every element is the first one.
Value filled(std::size_t n, float k) {
  ArrayRef a = ArrayRef::adopt(ArrayData::allocate(Element::kF32, n));
  for (std::size_t i = 0; i < n; ++i) a->as<float>()[i] = k;
  return Value::array_of(type::kF32Array, std::move(a));
}

bool intact(const Value& v) {
  if (!v.array) return true;
  const float* p = v.array->as<float>();
  std::size_t n = v.array->length();
  return simd::sum(p, n) == static_cast<double>(p[0]) * static_cast<double>(n);
}

}  // namespace

TEST(array_buffers_outlive_every_holder) {
  std::size_t live_before = ArrayData::live();
  {
    Tree* tree = Tree::create();
    Value initial = filled(1000, 1);
    NodeRef node = tree->create_node("a", type::kF32Array, &initial);
    tree->add_child(tree->root(), *node);
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> reads{0}, writes{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < kReaders; ++r) {
      threads.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed)) {
          Value v = node->value();  // holds a reference: the buffer stays whatever writers do
          if (!intact(v)) CHECK(false);
          reads.fetch_add(1, std::memory_order_relaxed);
        }
      });
    }
    threads.emplace_back([&] {
      for (uint64_t k = 0; !stop.load(std::memory_order_relaxed); ++k) {
        switch (k % 3) {
          case 0: tree->set_value(*node, filled(500 + k % 1000, static_cast<float>(k % 7))); break;
          case 1: tree->update_value(*node, [](const Value& x) { return array_scale(Value::f64(2), x); }); break;
          default: tree->update_value(*node, [&](const Value& x) { return array_resized(x, x.array ? x.array->length() : 0); });
        }
        writes.fetch_add(1, std::memory_order_relaxed);
      }
    });
    std::this_thread::sleep_for(std::chrono::duration<double>(check::stress_seconds() / 2));
    stop = true;
    for (std::thread& t : threads) t.join();
    CHECK(reads > 0 && writes > 0);
    std::printf("  %llu reads, %llu writes\n", static_cast<unsigned long long>(reads.load()),
                static_cast<unsigned long long>(writes.load()));
    node = NodeRef();
    tree->release();
  }
  epoch::drain();
  CHECK(ArrayData::live() == live_before);
}

TEST(schema_snapshots_while_types_are_registered) {
  Tree* tree = Tree::create();
  std::atomic<bool> stop{false};
  std::atomic<int> registered{0};
  std::thread writer([&] {
    for (TypeId id = 0x10000001; id < 0x10000001 + 200 && !stop; ++id) {
      tree->schemas().add({id, "t" + std::to_string(id), {{"m", type::kU8, type::kU8, true}}, false});
      registered.fetch_add(1, std::memory_order_release);  // pairs with the readers' acquire load
    }
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      while (registered.load(std::memory_order_acquire) < 200) {
        int seen = registered.load(std::memory_order_acquire);
        SchemaSnapshot snapshot = tree->schemas().snapshot();
        for (TypeId id = 0x10000001; id < 0x10000001 + static_cast<TypeId>(seen); ++id) {
          const TypeSchema* schema = snapshot.find(id);
          if (!schema || schema->members.size() != 1 || schema->members[0].name != "m") CHECK(false);
        }
      }
    });
  }
  writer.join();
  for (std::thread& t : readers) t.join();
  tree->release();
  epoch::drain();
}

int main() { return check::run_all(); }
