#include "grove/test_hooks.h"

#ifdef GROVE_TEST_HOOKS

#include <optional>
#include <stdexcept>
#include <utility>

namespace grove::test_hooks {
namespace {

// Per thread: a test arms the fault on the thread whose write it means to fail.
thread_local std::optional<std::string> t_armed;

}  // namespace

void fail_next_write(std::string what) { t_armed = std::move(what); }

void before_write() {
  if (!t_armed) return;
  std::string what = std::move(*t_armed);
  t_armed.reset();
  throw std::length_error(what);
}

}  // namespace grove::test_hooks

#endif
