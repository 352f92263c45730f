// Result<T>: what one store call answered — ok (with its value), not found, refused (a
// precondition did not hold) or unavailable (the store could not answer) — as a value the
// caller must look at ([[nodiscard]]), instead of a flag read on the side.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>

namespace authd::store {

enum class Answer : uint8_t {
    ok,
    not_found,    // the store answered: there is no such thing
    refused,      // the store answered: a precondition did not hold, nothing changed
    unavailable,  // no answer (down, timed out, failed disk): the client may retry
};

std::string_view answer_name(Answer a);

// T must be default-constructible: value() is always readable. It is the answer's value
// when ok(); otherwise the detail the method documents for that answer (e.g. which fields
// clashed when create_user is refused), or a default T.
template <class T = void>
class [[nodiscard]] Result {
  public:
    Result(T value) : answer_(Answer::ok), value_(std::move(value)) {}  // NOLINT: ok answers
    Result(Answer answer) : answer_(answer) {}                          // NOLINT: failures
    Result(Answer answer, T detail) : answer_(answer), value_(std::move(detail)) {}

    Answer answer() const { return answer_; }
    bool ok() const { return answer_ == Answer::ok; }
    bool not_found() const { return answer_ == Answer::not_found; }
    bool refused() const { return answer_ == Answer::refused; }
    bool unavailable() const { return answer_ == Answer::unavailable; }
    explicit operator bool() const { return ok(); }

    T& value() & { return value_; }
    const T& value() const& { return value_; }
    T&& value() && { return std::move(value_); }
    T& operator*() & { return value_; }
    const T& operator*() const& { return value_; }
    T&& operator*() && { return std::move(value_); }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }

  private:
    Answer answer_;
    T value_{};
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Answer answer) : answer_(answer) {}  // NOLINT: implicit, as for Result<T>

    Answer answer() const { return answer_; }
    bool ok() const { return answer_ == Answer::ok; }
    bool not_found() const { return answer_ == Answer::not_found; }
    bool refused() const { return answer_ == Answer::refused; }
    bool unavailable() const { return answer_ == Answer::unavailable; }
    explicit operator bool() const { return ok(); }

  private:
    Answer answer_ = Answer::ok;
};

using Done = Result<void>;

// An answer with no value (a refusal or not-found that carries no detail) as Result<T>.
template <class T, class U>
Result<T> same_answer(const Result<U>& r) {
    return Result<T>(r.answer());
}

}  // namespace authd::store
