// Task<T>: a lazy, single-awaiter coroutine for handlers and store calls. Awaiting a Task
// starts it and resumes the awaiter by symmetric transfer when it finishes; a root Task is
// started with start(on_done), which runs a callback on completion instead.
#pragma once
#include <cassert>
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "core/frame_pool.hpp"
#include "core/unique_function.hpp"

namespace authd::core {

template <class T>
class Task;

namespace detail {

struct PromiseBase {
    std::coroutine_handle<> continuation;
    UniqueFunction<void()> on_done;  // set only for a root task started with start()

    static void* operator new(size_t size) { return frame_alloc(size); }
    static void operator delete(void* p, size_t size) noexcept { frame_free(p, size); }

    std::suspend_always initial_suspend() noexcept { return {}; }

    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <class P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            PromiseBase& p = h.promise();
            if (p.continuation) return p.continuation;
            if (p.on_done) {
                // The root's owner reads the result inside on_done, then destroys the frame.
                auto done = std::move(p.on_done);
                done();
            }
            return std::noop_coroutine();
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }

    // Handlers report client errors as values; an escaping exception is a bug, so fail loudly.
    void unhandled_exception() noexcept { std::terminate(); }
};

template <class T>
struct Promise : PromiseBase {
    std::optional<T> value;
    Task<T> get_return_object() noexcept;
    template <class U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
};

template <>
struct Promise<void> : PromiseBase {
    Task<void> get_return_object() noexcept;
    void return_void() noexcept {}
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::Promise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    Task() = default;
    explicit Task(Handle h) : handle_(h) {}
    Task(Task&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
    Task& operator=(Task&& o) noexcept {
        if (this != &o) {
            destroy();
            handle_ = std::exchange(o.handle_, {});
        }
        return *this;
    }
    Task(const Task&) = delete;
    Task& operator=(const Task&) = delete;
    ~Task() { destroy(); }

    bool valid() const { return static_cast<bool>(handle_); }
    bool done() const { return handle_ && handle_.done(); }

    // Starts a root task. on_done runs (on the thread that finishes the task) when it
    // completes; the Task object must stay alive until then and owns the result.
    void start(UniqueFunction<void()> on_done) {
        assert(handle_ && !handle_.promise().continuation);
        handle_.promise().on_done = std::move(on_done);
        handle_.resume();
    }

    // The result of a finished task.
    template <class U = T>
    requires(!std::is_void_v<U>) U& result() {
        assert(done());
        return *handle_.promise().value;
    }

    auto operator co_await() && noexcept {
        struct Awaiter {
            Handle h;
            bool await_ready() noexcept { return false; }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
                h.promise().continuation = awaiting;
                return h;
            }
            T await_resume() {
                if constexpr (!std::is_void_v<T>) return std::move(*h.promise().value);
            }
        };
        return Awaiter{handle_};
    }

  private:
    void destroy() {
        if (handle_) handle_.destroy();
        handle_ = {};
    }
    Handle handle_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
    return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// Runs a Task<void> to completion with nobody waiting; its frame frees itself at the end.
void spawn(Task<void> task);

}  // namespace authd::core
