#include "js_errors.h"

namespace grove::bindings {

const char* code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::kNotFound: return "NOT_FOUND";
    case ErrorCode::kTypeMismatch: return "TYPE_MISMATCH";
    case ErrorCode::kVersionConflict: return "VERSION_CONFLICT";
    case ErrorCode::kLimitExceeded: return "LIMIT_EXCEEDED";
    case ErrorCode::kReleased: return "RELEASED";
  }
  return "INVALID_ARGUMENT";
}

void throw_js_error(Napi::Env env, const Napi::FunctionReference& error_class, ErrorCode code,
                    const std::string& message, const std::string* path) {
  Napi::Value code_value = Napi::String::New(env, code_name(code));
  Napi::Value message_value = Napi::String::New(env, message);
  Napi::Value path_value = path ? Napi::String::New(env, *path) : env.Undefined();
  Napi::Object error;
  if (!error_class.IsEmpty()) {
    error = error_class.New({code_value, message_value, path_value});
  } else {
    error = Napi::Error::New(env, message).Value();
    error.Set("code", code_value);
    if (path) error.Set("path", path_value);
  }
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

}  // namespace grove::bindings
