// A minimal assertion harness for the core's C++ tests: CHECK records a failure and goes
// on; main() returns the failure count, which ctest reports. TreeHolder is the tests'
// tree fixture.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "grove/epoch.h"
#include "grove/error.h"
#include "grove/tree.h"

namespace check {

inline std::atomic<int> failures{0};

inline std::vector<std::pair<const char*, std::function<void()>>>& registry() {
  static std::vector<std::pair<const char*, std::function<void()>>> tests;
  return tests;
}

struct Register {
  Register(const char* name, std::function<void()> fn) { registry().emplace_back(name, std::move(fn)); }
};

// How long the stress tests run: GROVE_STRESS_SECONDS (native/test/run.sh sets it), else 2 s.
inline double stress_seconds() {
  const char* env = std::getenv("GROVE_STRESS_SECONDS");
  return env ? std::atof(env) : 2.0;
}

inline int run_all() {
  for (auto& [name, fn] : registry()) {
    int before = failures;
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "  unexpected exception: %s\n", e.what());
      ++failures;
    }
    std::printf("%s %s\n", failures == before ? "ok  " : "FAIL", name);
  }
  std::printf("%d failure(s)\n", failures.load());
  return failures == 0 ? 0 : 1;
}

}  // namespace check

// A tree for one test, released at the end of the test with everything it retired freed.
struct TreeHolder {
  grove::Tree* tree = grove::Tree::create();
  ~TreeHolder() {
    tree->release();
    grove::epoch::drain();
  }
  grove::Tree* operator->() const { return tree; }
};

#define TEST(name) \
  static void name(); \
  static check::Register register_##name(#name, name); \
  static void name()

// Reports the first 20 failures; counts them all.
#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond) && check::failures++ < 20) {                                           \
      std::fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    }                                                                                  \
  } while (0)

// Checks that `expr` throws grove::Error with `code` and a message containing `part`.
#define CHECK_THROWS(expr, expected_code, part)                                                      \
  do {                                                                                      \
    bool thrown = false;                                                                    \
    try {                                                                                   \
      (void)(expr);                                                                         \
    } catch (const grove::Error& e) {                                                       \
      thrown = e.code() == (expected_code) && std::string(e.what()).find(part) != std::string::npos; \
      if (!thrown) std::fprintf(stderr, "  %s:%d: wrong error: %s\n", __FILE__, __LINE__, e.what()); \
    }                                                                                       \
    if (!thrown) {                                                                          \
      std::fprintf(stderr, "  %s:%d: %s did not throw as expected\n", __FILE__, __LINE__, #expr); \
      ++check::failures;                                                                    \
    }                                                                                       \
  } while (0)
