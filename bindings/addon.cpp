#include "addon.h"

#include <atomic>
#include <cmath>
#include <iterator>
#include <new>

#include "grove/error.h"
#include "grove/test_hooks.h"
#include "grove/value.h"
#include "js_errors.h"
#include "js_values.h"

namespace grove::bindings {

void Addon::ThrowCurrentException(Napi::Env env) {
  try {
    try {
      throw;
    } catch (const Napi::Error& e) {
      e.ThrowAsJavaScriptException();  // already a JavaScript exception
    } catch (const PathError& e) {
      throw_js_error(env, error_class_, e.code(), e.what(), &e.path());
    } catch (const Error& e) {
      throw_js_error(env, error_class_, e.code(), e.what());
    } catch (const std::bad_alloc&) {
      throw_js_error(env, error_class_, ErrorCode::kLimitExceeded, "out of memory");
    } catch (const std::exception& e) {
      // no domain error but a bug: a plain Error, which the RPC layer answers as -32603
      // "Internal error" and logs with this message and its stack
      Napi::Error::New(env, std::string("internal error in the core: ") + e.what()).ThrowAsJavaScriptException();
    }
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();  // building the GroveError failed: throw what that raised
  }
}

template <Addon::Method method>
Napi::Value Addon::Guarded(const Napi::CallbackInfo& info) {
  try {
    return (this->*method)(info);
  } catch (...) {
    ThrowCurrentException(info.Env());
  }
  return Napi::Value();
}

template <Addon::Method method>
Addon::AddonProp Addon::Function(const char* name) {
  return InstanceMethod<&Addon::Guarded<method>>(name);
}

namespace {

// Each environment's changes are told apart in the tree's feed by this tag (grove/tree.h).
std::atomic<uint32_t> g_next_writer{1};

}  // namespace

Addon::Addon(Napi::Env env, Napi::Object exports) {
  set_thread_writer(g_next_writer.fetch_add(1, std::memory_order_relaxed));
  object_prototype_ = Napi::Persistent(env.Global().Get("Object").As<Napi::Object>().Get("prototype").As<Napi::Object>());
  DefineAddon(exports, {
      Function<&Addon::Setup>("setup"),
      Function<&Addon::Release>("release"),
      Function<&Addon::Stats>("stats"),
#ifdef GROVE_TEST_HOOKS
      Function<&Addon::FailNextWrite>("failNextWrite"),
#endif

      Function<&Addon::CreateTree>("createTree"),
      Function<&Addon::ShareTree>("shareTree"),
      Function<&Addon::AttachTree>("attachTree"),
      Function<&Addon::CloseTree>("closeTree"),
      Function<&Addon::TreeHolders>("treeHolders"),
      Function<&Addon::TreeRoot>("treeRoot"),
      Function<&Addon::TreeVersion>("treeVersion"),
      Function<&Addon::AdvanceTreeVersion>("advanceTreeVersion"),
      Function<&Addon::SetFeed>("setFeed"),
      Function<&Addon::TakeChanges>("takeChanges"),
      Function<&Addon::WriterTag>("writerTag"),
      Function<&Addon::ApplyRecord>("applyRecord"),
      Function<&Addon::SnapshotTree>("snapshotTree"),
      Function<&Addon::ExportFrozen>("exportFrozen"),
      Function<&Addon::LoadTree>("loadTree"),
      Function<&Addon::ReadSubtree>("readSubtree"),
      Function<&Addon::NodeById>("nodeById"),
      Function<&Addon::TreeSize>("treeSize"),
      Function<&Addon::TreeIds>("treeIds"),
      Function<&Addon::NonceOf>("nonceOf"),
      Function<&Addon::AcceptNonce>("acceptNonce"),
      Function<&Addon::CreateNode>("createNode"),
      Function<&Addon::ExportJson>("exportJSON"),

      Function<&Addon::NodeId>("nodeId"),
      Function<&Addon::NodeName>("nodeName"),
      Function<&Addon::NodeType>("nodeType"),
      Function<&Addon::NodeVersion>("nodeVersion"),
      Function<&Addon::NodePath>("nodePath"),
      Function<&Addon::ChildCount>("childCount"),
      Function<&Addon::GetValue>("value"),
      Function<&Addon::ValueAs>("valueAs"),
      Function<&Addon::Parent>("parent"),
      Function<&Addon::Ancestor>("ancestor"),
      Function<&Addon::ChildByName>("childByName"),
      Function<&Addon::ChildOfType>("childOfType"),
      Function<&Addon::ChildById>("childById"),
      Function<&Addon::Children>("children"),
      Function<&Addon::Find>("find"),
      Function<&Addon::ListChildren>("listChildren"),
      Function<&Addon::SubtreeSize>("subtreeSize"),
      Function<&Addon::TakeSnapshot>("snapshot"),
      Function<&Addon::SnapshotSize>("snapshotSize"),
      Function<&Addon::SnapshotBatch>("snapshotBatch"),

      Function<&Addon::SetValue>("setValue"),
      Function<&Addon::SetPath>("setPath"),
      Function<&Addon::DeletePath>("deletePath"),
      Function<&Addon::PutPath>("putPath"),
      Function<&Addon::AddPath>("addPath"),
      Function<&Addon::AddChild>("addChild"),
      Function<&Addon::Append>("append"),
      Function<&Addon::RemoveChild>("removeChild"),
      Function<&Addon::RemoveChildAt>("removeChildAt"),
      Function<&Addon::ReplaceById>("replaceById"),
      Function<&Addon::SortChildren>("sortChildren"),
      Function<&Addon::CopySubtree>("copySubtree"),
      Function<&Addon::CopyChildren>("copyChildren"),
      Function<&Addon::Increment>("increment"),
      Function<&Addon::CompareAndSet>("compareAndSet"),
      Function<&Addon::SetIfZero>("setIfZero"),

      Function<&Addon::ArrayView>("arrayView"),
      Function<&Addon::ArrayReduce>("arrayReduce"),
      Function<&Addon::ArrayDot>("arrayDot"),
      Function<&Addon::ArrayScale>("arrayScale"),
      Function<&Addon::ArrayAxpy>("arrayAxpy"),
      Function<&Addon::ArrayResize>("arrayResize"),
      Function<&Addon::ArrayStats>("arrayStats"),
      Function<&Addon::NodeEnvelope>("nodeEnvelope"),
      Function<&Addon::ConvertValue>("convertValue"),
      Function<&Addon::NodeHash>("nodeHash"),
      Function<&Addon::RegisterType>("registerType"),
  });
  napi_property_descriptor raw[] = {
      {"valueAt", nullptr, &Addon::ValueAtFast, nullptr, nullptr, nullptr, napi_enumerable, this},
      {"childAt", nullptr, &Addon::ChildAtFast, nullptr, nullptr, nullptr, napi_enumerable, this},
      {"lookup", nullptr, &Addon::LookupFast, nullptr, nullptr, nullptr, napi_enumerable, this},
  };
  NAPI_THROW_IF_FAILED_VOID(env, napi_define_properties(env, exports, std::size(raw), raw));
}

// setup(errorClass): errors are thrown as `new errorClass(code, message, path)` from now on.
Napi::Value Addon::Setup(const Napi::CallbackInfo& info) {
  Args args(info, "setup");
  if (!info[0].IsFunction()) args.fail_type(0, "the error class", "a constructor");
  error_class_ = Napi::Persistent(info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

// release(handle): frees a node, snapshot or tree handle; stale handles are ignored.
Napi::Value Addon::Release(const Napi::CallbackInfo& info) {
  handles_.release(Args(info, "release").handle(0));
  return info.Env().Undefined();
}

// stats(): { handles: live handles of this thread, trees: trees alive in the process }.
Napi::Value Addon::Stats(const Napi::CallbackInfo& info) {
  Napi::Object stats = Napi::Object::New(info.Env());
  stats.Set("handles", Napi::Number::New(info.Env(), static_cast<double>(handles_.live())));
  stats.Set("trees", Napi::Number::New(info.Env(), static_cast<double>(tree_registry::live())));
  return stats;
}

#ifdef GROVE_TEST_HOOKS
// failNextWrite(what): this thread's next set through a path throws std::length_error(what) in the core.
Napi::Value Addon::FailNextWrite(const Napi::CallbackInfo& info) {
  test_hooks::fail_next_write(Args(info, "failNextWrite").string(0, "what"));
  return info.Env().Undefined();
}
#endif

namespace {
constexpr uint64_t kMaxExactId = (uint64_t{1} << 53) - 1;  // a JS number holds it exactly
}

double Addon::RefOf(uint32_t tree_slot, Node& node) {
  uint64_t id = node.id();
  if (node.in_tree() && id <= kMaxExactId) return static_cast<double>(id);
  return -handles_.add_node(tree_slot, NodeRef::share(&node));
}

Napi::Value Addon::NodeOrUndefined(Napi::Env env, uint32_t tree_slot, Node* node) {
  if (!node) return env.Undefined();
  return Napi::Number::New(env, RefOf(tree_slot, *node));
}

NodeTarget Addon::NodeOf(double tree_handle, double ref, const epoch::Guard* pinned) {
  TreeTarget tree = handles_.tree(tree_handle);
  if (std::isnan(ref)) fail(ErrorCode::kReleased, "this node handle was released; look the node up again");
  if (ref < 0) return handles_.node(-ref);
  if (!(ref <= static_cast<double>(kMaxExactId)) || std::trunc(ref) != ref) {
    fail(ErrorCode::kInvalidArgument, Value::f64(ref).describe() + " is not a node reference");
  }
  auto id = static_cast<uint64_t>(ref);
  if (pinned) {
    Node* node = tree.tree.node_by_id_pinned(id);
    if (!node) fail(ErrorCode::kNotFound, "node " + std::to_string(id) + " was removed");
    return {tree.slot, tree.tree, *node, {}};
  }
  NodeRef node = tree.tree.node_by_id(id);
  if (!node) fail(ErrorCode::kNotFound, "node " + std::to_string(id) + " was removed");
  Node& held = *node;
  return {tree.slot, tree.tree, held, std::move(node)};
}

}  // namespace grove::bindings

using GroveAddon = grove::bindings::Addon;  // the macro needs a plain identifier
NODE_API_NAMED_ADDON(grove, GroveAddon)
