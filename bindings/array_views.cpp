#include "array_views.h"

#include "grove/forms.h"
#include "js_values.h"

namespace grove::bindings {

ArrayViews::ArrayViews() : state_(std::make_shared<State>()) {}

ArrayViews::~ArrayViews() { state_->open = false; }

Napi::Value ArrayViews::view(Napi::Env env, const Value& array) {
  Elements e = elements_of(array);
  if (e.count == 0) return typed_array_copy(env, array);
  napi_value buffer = nullptr;
  auto known = state_->buffers.find(array.array.get());
  if (known != state_->buffers.end()) {
    napi_get_reference_value(env, known->second, &buffer);
    if (!buffer) return typed_array_copy(env, array);  // collected, finalizer pending
  } else {
    auto* hint = new Hint{state_, array.array.get()};
    napi_status status =
        napi_create_external_arraybuffer(env, array.array->data(), array.array->bytes(), &finalize, hint, &buffer);
    if (status != napi_ok) {
      delete hint;
      if (status == napi_no_external_buffers_allowed) return typed_array_copy(env, array);
      NAPI_THROW_IF_FAILED(env, status, Napi::Value());
    }
    array.array->retain();  // the ArrayBuffer's reference, dropped by finalize()
    napi_ref weak = nullptr;
    NAPI_THROW_IF_FAILED(env, napi_create_reference(env, buffer, 0, &weak), Napi::Value());
    state_->buffers.emplace(array.array.get(), weak);
  }
  napi_value view;
  NAPI_THROW_IF_FAILED(env, napi_create_typedarray(env, typed_array_kind(e.element), e.count, buffer, 0, &view), Napi::Value());
  return Napi::Value(env, view);
}

void ArrayViews::finalize(napi_env env, void*, void* hint_data) {
  auto* hint = static_cast<Hint*>(hint_data);
  State& state = *hint->state;
  if (state.open) {
    auto it = state.buffers.find(hint->array);
    if (it != state.buffers.end()) {
      napi_delete_reference(env, it->second);
      state.buffers.erase(it);
    }
  }
  hint->array->release();
  delete hint;
}

}  // namespace grove::bindings
