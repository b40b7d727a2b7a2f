#pragma once
// Faults the JavaScript tests inject into the core, to see what a caller gets from a bug in
// it. Compiled in only with GROVE_TEST_HOOKS (the grove_test_addon target, build-testing/);
// the addon that ships and the benchmarks' builds have none of it.

#ifdef GROVE_TEST_HOOKS

#include <string>

namespace grove::test_hooks {

// The calling thread's next Tree::set_path throws std::length_error(what) before it touches
// the tree: an exception that is no grove::Error, as a bug in the core (or the library under
// it) would raise.
void fail_next_write(std::string what);

// Throws what fail_next_write armed, once.
void before_write();

}  // namespace grove::test_hooks

#define GROVE_TEST_HOOK(call) ::grove::test_hooks::call
#else
#define GROVE_TEST_HOOK(call) static_cast<void>(0)
#endif
