// The one exception type of the core. Each code maps to one JSON-RPC error code in the
// station and one error class in TypeScript, so every layer reports a failure the same way.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace grove {

enum class ErrorCode {
  kInvalidArgument,  // a malformed name, path, value or option
  kNotFound,         // no node at a path, index, name or id
  kTypeMismatch,     // a value that does not convert exactly, or an op the type lacks
  kVersionConflict,  // an ifVersion that no longer holds
  kLimitExceeded,    // a configured limit
  kReleased,         // a handle or tree used after release or close
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

// A failure about one path (a lookup that missed, a write refused there), so that every
// layer above can name the path without parsing the message.
class PathError : public Error {
 public:
  PathError(ErrorCode code, const std::string& message, std::string path)
      : Error(code, message), path_(std::move(path)) {}
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace grove
