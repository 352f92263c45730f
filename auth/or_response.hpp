// OrResponse<T>: what a handler's prelude (authenticate, a throttle reservation, a target
// lookup) gives back — the value to go on with, or the response to answer at once.
#pragma once
#include <optional>
#include <utility>

#include "http/response.hpp"

namespace authd::auth {

template <class T>
class [[nodiscard]] OrResponse {
  public:
    OrResponse(T value) : value_(std::move(value)) {}                  // NOLINT: implicit
    OrResponse(http::Response answer) : answer_(std::move(answer)) {}  // NOLINT: implicit

    explicit operator bool() const { return value_.has_value(); }
    T& operator*() { return *value_; }
    const T& operator*() const { return *value_; }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    // The response to answer with (only when there is no value).
    http::Response take_response() { return std::move(answer_); }

  private:
    std::optional<T> value_;
    http::Response answer_;
};

}  // namespace authd::auth
