// How core failures reach JavaScript: every grove::Error becomes a GroveError (the class
// the TypeScript layer registers with setup()) whose `code` names the ErrorCode.
#pragma once

#include <napi.h>

#include <string>

#include "grove/error.h"

namespace grove::bindings {

const char* code_name(ErrorCode code);

// Throws a pending JavaScript exception: an instance of `error_class` when it is set
// (new ErrorClass(code, message, path?)), else an Error with a `code` property.
void throw_js_error(Napi::Env env, const Napi::FunctionReference& error_class, ErrorCode code,
                    const std::string& message, const std::string* path = nullptr);

}  // namespace grove::bindings
