// The addon: one instance per JavaScript environment (main thread or worker), holding that
// environment's handle table. Each exported function takes and returns plain numbers,
// strings and values; src/native.ts is the only module that calls them.
#pragma once

#include <napi.h>

#include "array_views.h"
#include "handle_table.h"

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
  // valueAt as exported: raw N-API for the common case, ValueAt for anything else.
  static napi_value ValueAtFast(napi_env env, napi_callback_info info);
  Napi::Value ReadValueAt(Napi::Env env, double handle, std::string_view path);
  Napi::Value Lookup(const Napi::CallbackInfo& info);
  Napi::Value Parent(const Napi::CallbackInfo& info);
  Napi::Value Ancestor(const Napi::CallbackInfo& info);
  Napi::Value ChildByName(const Napi::CallbackInfo& info);
  Napi::Value ChildAt(const Napi::CallbackInfo& info);
  Napi::Value ChildOfType(const Napi::CallbackInfo& info);
  Napi::Value ChildById(const Napi::CallbackInfo& info);
  Napi::Value Children(const Napi::CallbackInfo& info);
  Napi::Value Find(const Napi::CallbackInfo& info);
  Napi::Value ListChildren(const Napi::CallbackInfo& info);
  Napi::Value SubtreeSize(const Napi::CallbackInfo& info);
  Napi::Value TakeSnapshot(const Napi::CallbackInfo& info);
  Napi::Value SnapshotSize(const Napi::CallbackInfo& info);
  Napi::Value SnapshotAt(const Napi::CallbackInfo& info);

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

  // A handle for `node` (or undefined when it is null), tied to the tree slot it came through.
  Napi::Value NodeOrUndefined(Napi::Env env, uint32_t tree_slot, NodeRef node);
  napi_value ObjectPrototype() const { return object_prototype_.Value(); }

  HandleTable handles_;
  ArrayViews array_views_;
  Napi::FunctionReference error_class_;
  Napi::ObjectReference object_prototype_;
};

}  // namespace grove::bindings
