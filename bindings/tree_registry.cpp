#include "tree_registry.h"

#include <mutex>
#include <string>
#include <unordered_map>

#include "grove/error.h"

namespace grove::bindings::tree_registry {
namespace {

struct Registry {
  std::mutex mutex;
  std::unordered_map<uint64_t, TreeRecord*> by_token;
  uint64_t next_token = 1;
  std::size_t live = 0;
};

// Never destroyed: environments are torn down after static destructors may have run.
Registry& registry() {
  static auto* instance = new Registry;
  return *instance;
}

}  // namespace

TreeRecord* adopt(Tree* tree) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  ++r.live;
  return new TreeRecord{tree};
}

uint64_t share(TreeRecord* record) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  if (record->token == 0) {
    record->token = r.next_token++;
    r.by_token.emplace(record->token, record);
  }
  return record->token;
}

TreeRecord* attach(uint64_t token) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto found = r.by_token.find(token);
  if (found == r.by_token.end()) {
    if (token != 0 && token < r.next_token) {
      fail(ErrorCode::kReleased, "shared tree " + std::to_string(token) +
                                     " is gone: every thread that held it closed it or exited");
    }
    fail(ErrorCode::kNotFound, "no shared tree has token " + std::to_string(token) + "; pass what share() returned");
  }
  ++found->second->holders;
  return found->second;
}

void drop(TreeRecord* record) {
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (--record->holders != 0) return;
    if (record->token != 0) r.by_token.erase(record->token);
    --r.live;
  }
  record->tree->release();  // outside the lock: freeing a large tree takes a while
  delete record;
}

uint32_t holders(const TreeRecord* record) {
  std::lock_guard lock(registry().mutex);
  return record->holders;
}

std::size_t live() {
  std::lock_guard lock(registry().mutex);
  return registry().live;
}

}  // namespace grove::bindings::tree_registry
