// The addon: one instance per JavaScript environment (main thread or worker), holding that
// environment's handle table. Each exported function takes and returns plain numbers,
// strings and values; src/native.ts is the only module that calls them.
#pragma once

#include <napi.h>

#include "array_views.h"
#include "grove/epoch.h"
#include "handle_table.h"
#include "js_values.h"

namespace grove::bindings {

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports);

 private:
  using Method = Napi::Value (Addon::*)(const Napi::CallbackInfo&);
  // Runs a method, turning any C++ exception into a JavaScript GroveError.
  template <Method method>
  Napi::Value Guarded(const Napi::CallbackInfo& info);
  template <Method method>
  static AddonProp Function(const char* name);
  template <std::size_t N, class Fast>
  static napi_value RawRead(napi_env env, napi_callback_info info, Fast fast, Method slow);  // read_functions.cpp
  // Turns the exception being handled into a pending JavaScript GroveError.
  void ThrowCurrentException(Napi::Env env);

  // addon.cpp: setup and handles
  Napi::Value Setup(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
#ifdef GROVE_TEST_HOOKS
  Napi::Value FailNextWrite(const Napi::CallbackInfo& info);  // include/grove/test_hooks.h
#endif

  // tree_functions.cpp
  Napi::Value CreateTree(const Napi::CallbackInfo& info);
  Napi::Value ShareTree(const Napi::CallbackInfo& info);
  Napi::Value AttachTree(const Napi::CallbackInfo& info);
  Napi::Value CloseTree(const Napi::CallbackInfo& info);
  Napi::Value TreeHolders(const Napi::CallbackInfo& info);
  Napi::Value TreeRoot(const Napi::CallbackInfo& info);
  Napi::Value TreeVersion(const Napi::CallbackInfo& info);
  Napi::Value AdvanceTreeVersion(const Napi::CallbackInfo& info);
  Napi::Value SetFeed(const Napi::CallbackInfo& info);
  Napi::Value TakeChanges(const Napi::CallbackInfo& info);
  Napi::Value WriterTag(const Napi::CallbackInfo& info);
  Napi::Value ApplyRecord(const Napi::CallbackInfo& info);
  Napi::Value SnapshotTree(const Napi::CallbackInfo& info);
  Napi::Value ExportFrozen(const Napi::CallbackInfo& info);
  Napi::Value LoadTree(const Napi::CallbackInfo& info);
  Napi::Value ReadSubtree(const Napi::CallbackInfo& info);
  Napi::Value NodeById(const Napi::CallbackInfo& info);
  Napi::Value TreeSize(const Napi::CallbackInfo& info);
  Napi::Value TreeIds(const Napi::CallbackInfo& info);
  Napi::Value NonceOf(const Napi::CallbackInfo& info);
  Napi::Value AcceptNonce(const Napi::CallbackInfo& info);
  Napi::Value CreateNode(const Napi::CallbackInfo& info);
  Napi::Value ExportJson(const Napi::CallbackInfo& info);

  // read_functions.cpp
  Napi::Value NodeId(const Napi::CallbackInfo& info);
  Napi::Value NodeName(const Napi::CallbackInfo& info);
  Napi::Value NodeType(const Napi::CallbackInfo& info);
  Napi::Value NodeVersion(const Napi::CallbackInfo& info);
  Napi::Value NodePath(const Napi::CallbackInfo& info);
  Napi::Value ChildCount(const Napi::CallbackInfo& info);
  Napi::Value GetValue(const Napi::CallbackInfo& info);
  Napi::Value ValueAs(const Napi::CallbackInfo& info);
  Napi::Value ValueAt(const Napi::CallbackInfo& info);
  // valueAt as exported: raw N-API for the common case (RawRead), ValueAt for anything else.
  static napi_value ValueAtFast(napi_env env, napi_callback_info info);
  Napi::Value ReadValueAt(Napi::Env env, const Node& base, std::string_view path);
  Napi::Value Lookup(const Napi::CallbackInfo& info);
  static napi_value LookupFast(napi_env env, napi_callback_info info);  // lookup as exported
  // The node at `path` under target's (the caller holds a pin), or undefined; NotFound when required.
  Napi::Value FoundOrUndefined(Napi::Env env, const NodeTarget& target, std::string_view path, bool required);
  Napi::Value Parent(const Napi::CallbackInfo& info);
  Napi::Value Ancestor(const Napi::CallbackInfo& info);
  Napi::Value ChildByName(const Napi::CallbackInfo& info);
  Napi::Value ChildAt(const Napi::CallbackInfo& info);
  static napi_value ChildAtFast(napi_env env, napi_callback_info info);  // childAt as exported
  Napi::Value ChildOfType(const Napi::CallbackInfo& info);
  Napi::Value ChildById(const Napi::CallbackInfo& info);
  Napi::Value Children(const Napi::CallbackInfo& info);
  Napi::Value Find(const Napi::CallbackInfo& info);
  Napi::Value ListChildren(const Napi::CallbackInfo& info);
  Napi::Value SubtreeSize(const Napi::CallbackInfo& info);
  Napi::Value TakeSnapshot(const Napi::CallbackInfo& info);
  Napi::Value SnapshotSize(const Napi::CallbackInfo& info);
  Napi::Value SnapshotBatch(const Napi::CallbackInfo& info);

  // write_functions.cpp
  Napi::Value SetValue(const Napi::CallbackInfo& info);
  Napi::Value SetPath(const Napi::CallbackInfo& info);
  Napi::Value DeletePath(const Napi::CallbackInfo& info);
  Napi::Value PutPath(const Napi::CallbackInfo& info);
  Napi::Value AddPath(const Napi::CallbackInfo& info);
  Napi::Value AddChild(const Napi::CallbackInfo& info);
  Napi::Value Append(const Napi::CallbackInfo& info);
  Napi::Value RemoveChild(const Napi::CallbackInfo& info);
  Napi::Value RemoveChildAt(const Napi::CallbackInfo& info);
  Napi::Value ReplaceById(const Napi::CallbackInfo& info);
  Napi::Value SortChildren(const Napi::CallbackInfo& info);
  Napi::Value CopySubtree(const Napi::CallbackInfo& info);
  Napi::Value CopyChildren(const Napi::CallbackInfo& info);
  Napi::Value Increment(const Napi::CallbackInfo& info);
  Napi::Value CompareAndSet(const Napi::CallbackInfo& info);
  Napi::Value SetIfZero(const Napi::CallbackInfo& info);

  // value_functions.cpp
  Napi::Value ArrayView(const Napi::CallbackInfo& info);
  Napi::Value ArrayReduce(const Napi::CallbackInfo& info);
  Napi::Value ArrayDot(const Napi::CallbackInfo& info);
  Napi::Value ArrayScale(const Napi::CallbackInfo& info);
  Napi::Value ArrayAxpy(const Napi::CallbackInfo& info);
  Napi::Value ArrayResize(const Napi::CallbackInfo& info);
  Napi::Value ArrayStats(const Napi::CallbackInfo& info);
  Napi::Value NodeEnvelope(const Napi::CallbackInfo& info);
  Napi::Value ConvertValue(const Napi::CallbackInfo& info);
  Napi::Value NodeHash(const Napi::CallbackInfo& info);
  Napi::Value RegisterType(const Napi::CallbackInfo& info);

  // What JavaScript names a node by (src/node.ts): its id when it is in the tree (resolved
  // again on every call), else minus a handle that holds it, tied to the tree slot it came
  // through. A node is borrowed: the caller keeps it alive for the call.
  double RefOf(uint32_t tree_slot, Node& node);
  // RefOf, or undefined when `node` is null.
  Napi::Value NodeOrUndefined(Napi::Env env, uint32_t tree_slot, Node* node);
  // The node named by args.tree() and the reference at argument i: by id, NotFound when it
  // was removed; by handle; NaN is a released node. With `pinned` (the caller's guard, held
  // for the whole call) the node is borrowed; without, NodeTarget::hold holds it (writers:
  // the locking build refuses a write section inside a guard).
  NodeTarget NodeOf(const Args& args, std::size_t i, const epoch::Guard* pinned = nullptr) {
    return NodeOf(args.tree(), args.handle(i), pinned);
  }
  NodeTarget NodeOf(double tree_handle, double ref, const epoch::Guard* pinned);
  napi_value ObjectPrototype() const { return object_prototype_.Value(); }

  HandleTable handles_;
  ArrayViews array_views_;
  Napi::FunctionReference error_class_;
  Napi::ObjectReference object_prototype_;
};

}  // namespace grove::bindings
