#include "problem_from_js.h"

#include <string>

#include "../core/error.h"
#include "../core/packed_problem.h"

namespace deconv::napi {

namespace {

// typeof, except that arrays and null are named as such (more useful in a
// message than "object").
std::string jsTypeName(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "boolean";
    case napi_number: return "number";
    case napi_string: return "string";
    case napi_symbol: return "symbol";
    case napi_function: return "function";
    case napi_external: return "external";
    case napi_bigint: return "bigint";
    case napi_object: return value.IsArray() ? "array" : "object";
  }
  return "unknown";
}

Napi::Value requireField(const Napi::Object& object, const std::string& name,
                         const char* expected) {
  Napi::Value value = object.Get(name);
  if (value.IsUndefined()) {
    throw typeError("problem." + name + " is missing (expected " + expected + ")");
  }
  return value;
}

// Follows Node's own argument checks: not a number is a TypeError, a number
// that is not a safe integer (1.5, NaN, 2**60) is a RangeError.
int64_t integerFrom(const Napi::Value& value, const std::string& path) {
  if (!value.IsNumber()) {
    throw typeError(path + " must be an integer, got " + jsTypeName(value));
  }
  constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1
  const double number = value.As<Napi::Number>().DoubleValue();
  // NaN fails both comparisons below, so it is rejected too.
  const bool isSafeInteger = number >= -kMaxSafeInteger && number <= kMaxSafeInteger &&
                             number == static_cast<double>(static_cast<int64_t>(number));
  if (!isSafeInteger) {
    throw rangeError(path + " must be a safe integer, got " +
                     value.ToString().Utf8Value());
  }
  return static_cast<int64_t>(number);
}

int64_t readInteger(const Napi::Object& object, const std::string& name) {
  return integerFrom(requireField(object, name, "an integer"), "problem." + name);
}

SpatialDims readSpatial(const Napi::Object& object, const std::string& name, int rank,
                        int64_t neutral) {
  Napi::Value value = requireField(object, name, "an array of integers");
  const std::string path = "problem." + name;
  if (!value.IsArray()) {
    throw typeError(path + " must be an array of integers, got " + jsTypeName(value));
  }
  Napi::Array array = value.As<Napi::Array>();
  if (array.Length() != static_cast<uint32_t>(rank)) {
    throw rangeError(path + " must have " + std::to_string(rank) +
                     " entries (one per spatial dim), got " + std::to_string(array.Length()));
  }
  SpatialDims dims{neutral, neutral, neutral};
  for (int i = 0; i < rank; ++i) {
    dims[i] = integerFrom(array.Get(static_cast<uint32_t>(i)),
                          path + "[" + std::to_string(i) + "]");
  }
  return dims;
}

std::string readString(const Napi::Object& object, const std::string& name,
                       const char* expected) {
  Napi::Value value = requireField(object, name, expected);
  if (!value.IsString()) {
    throw typeError("problem." + name + " must be " + expected + ", got " + jsTypeName(value));
  }
  return value.As<Napi::String>().Utf8Value();
}

Layout readLayout(const Napi::Object& object) {
  constexpr const char* kExpected = "'channelsLast' or 'channelsFirst'";
  const std::string text = readString(object, "layout", kExpected);
  if (text == "channelsLast") return Layout::ChannelsLast;
  if (text == "channelsFirst") return Layout::ChannelsFirst;
  throw rangeError(std::string("problem.layout must be ") + kExpected + ", got '" + text + "'");
}

FilterLayout readFilterLayout(const Napi::Object& object) {
  constexpr const char* kExpected = "'spatialOutIn' or 'inOutSpatial'";
  const std::string text = readString(object, "filterLayout", kExpected);
  if (text == "spatialOutIn") return FilterLayout::SpatialOutIn;
  if (text == "inOutSpatial") return FilterLayout::InOutSpatial;
  throw rangeError(std::string("problem.filterLayout must be ") + kExpected + ", got '" + text +
                   "'");
}

bool readBoolean(const Napi::Object& object, const std::string& name) {
  Napi::Value value = requireField(object, name, "a boolean");
  if (!value.IsBoolean()) {
    throw typeError("problem." + name + " must be a boolean, got " + jsTypeName(value));
  }
  return value.As<Napi::Boolean>().Value();
}

}  // namespace

namespace {

Activation readActivation(const Napi::Object& object) {
  Napi::Value value = object.Get("activation");
  if (value.IsUndefined()) return Activation::None;
  if (!value.IsString()) throw typeError("problem.activation must be a string, got " + jsTypeName(value));
  const std::string name = value.As<Napi::String>().Utf8Value();
  if (name == "none" || name == "linear") return Activation::None;
  if (name == "relu") return Activation::Relu;
  if (name == "leakyRelu") return Activation::LeakyRelu;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "tanh") return Activation::Tanh;
  if (name == "elu") return Activation::Elu;
  throw rangeError("problem.activation must be one of 'none', 'relu', 'leakyRelu', 'sigmoid', 'tanh', 'elu', got '" + name + "'");
}

}  // namespace

Problem problemFromJs(const Napi::Value& value) {
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array) {
    auto packed = value.As<Napi::Float64Array>();
    return problemFromPacked(packed.Data(), packed.ElementLength());
  }
  // IsObject() is false for null; arrays pass here and fail on their fields.
  if (!value.IsObject() || value.IsFunction()) {
    throw typeError("problem must be an object, got " + jsTypeName(value));
  }
  Napi::Object object = value.As<Napi::Object>();

  Problem problem;
  // rank first: the spatial arrays' expected length depends on it.
  const int64_t rank = readInteger(object, "rank");
  if (rank < 1 || rank > kMaxSpatialRank) {
    throw rangeError("problem.rank must be 1, 2 or 3, got " + std::to_string(rank));
  }
  problem.rank = static_cast<int>(rank);

  problem.batch = readInteger(object, "batch");
  problem.inChannels = readInteger(object, "inChannels");
  problem.outChannels = readInteger(object, "outChannels");
  problem.groups = readInteger(object, "groups");

  problem.inSpatial = readSpatial(object, "inSpatial", problem.rank, 1);
  problem.outSpatial = readSpatial(object, "outSpatial", problem.rank, 1);
  problem.kernel = readSpatial(object, "kernel", problem.rank, 1);
  problem.strides = readSpatial(object, "strides", problem.rank, 1);
  problem.dilations = readSpatial(object, "dilations", problem.rank, 1);
  problem.padsBegin = readSpatial(object, "padsBegin", problem.rank, 0);
  problem.padsEnd = readSpatial(object, "padsEnd", problem.rank, 0);

  problem.layout = readLayout(object);
  problem.filterLayout = readFilterLayout(object);
  problem.hasBias = readBoolean(object, "hasBias");
  problem.activation = readActivation(object);
  if (problem.activation != Activation::None) {
    Napi::Value alpha = requireField(object, "activationAlpha", "a number");
    if (!alpha.IsNumber()) throw typeError("problem.activationAlpha must be a number, got " + jsTypeName(alpha));
    problem.activationAlpha = alpha.As<Napi::Number>().FloatValue();
  }
  return problem;
}

}  // namespace deconv::napi
