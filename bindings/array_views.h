// Zero-copy TypedArray views of SIMD array buffers for one JavaScript environment.
//
// A view's ArrayBuffer is an external one over the buffer's own 64-byte-aligned memory,
// and holds one reference on the ArrayData, which its finalizer drops. Buffers are never
// written after they are published, so a view stays valid and unchanged after its node's
// array is replaced or resized: it keeps reading the buffer it was made from.
//
// V8 must never see two ArrayBuffers over one address in an isolate, so each environment
// keeps one ArrayBuffer per buffer (weakly referenced) and makes every later view of the
// buffer over the same ArrayBuffer. Where the runtime refuses external buffers (V8's
// sandbox: napi_no_external_buffers_allowed), and in the moment between an ArrayBuffer's
// collection and its finalizer, a view is a copy instead.
//
// Finalizers run on the environment's own thread (Node runs them there), so the map needs
// no lock. It outlives the addon instance while finalizers are still pending (a shared
// pointer held by each), and stops being used once the environment tears down.
#pragma once

#include <napi.h>

#include <memory>
#include <unordered_map>

#include "grove/value.h"

namespace grove::bindings {

class ArrayViews {
 public:
  ArrayViews();
  ~ArrayViews();  // environment teardown: the environment frees the references itself
  ArrayViews(const ArrayViews&) = delete;
  ArrayViews& operator=(const ArrayViews&) = delete;

  // A TypedArray over an array value's elements: zero-copy, or a copy where it must be.
  Napi::Value view(Napi::Env env, const Value& array);
  // Views made zero-copy whose ArrayBuffers are alive or awaiting their finalizer.
  std::size_t live() const { return state_->buffers.size(); }

 private:
  struct State {
    std::unordered_map<const ArrayData*, napi_ref> buffers;  // weak references
    bool open = true;
  };
  struct Hint {
    std::shared_ptr<State> state;
    const ArrayData* array;
  };
  static void finalize(napi_env env, void* data, void* hint);

  std::shared_ptr<State> state_;
};

}  // namespace grove::bindings
