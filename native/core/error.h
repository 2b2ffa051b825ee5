// deconv::Error — the one exception type the native core throws.
//
// The core is plain C++ and knows nothing about JavaScript, but callers in
// JavaScript deserve the same error classes a pure-JS implementation would
// throw: TypeError for a value of the wrong type, RangeError for a value of the
// right type that is out of range or inconsistent, Error for everything else.
// So every error carries its kind, and the N-API layer (native/napi/guard.h)
// maps the kind onto the JS class.
#pragma once

#include <stdexcept>
#include <string>

namespace deconv {

enum class ErrorKind {
  Error,       // a failure that is not the caller's fault (backend, resources)
  TypeError,   // an argument or field has the wrong type, or is missing
  RangeError,  // right type, but a value is out of range or inconsistent
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}

  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

// Shorthands so throw sites read as what they mean.
inline Error typeError(const std::string& message) {
  return Error(ErrorKind::TypeError, message);
}
inline Error rangeError(const std::string& message) {
  return Error(ErrorKind::RangeError, message);
}

}  // namespace deconv
