// A move-only type-erased callable (std::move_only_function arrives only in C++23).
// Small callables live inline so posting a message to a loop rarely allocates.
#pragma once
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace authd::core {

template <class Sig>
class UniqueFunction;

template <class R, class... Args>
class UniqueFunction<R(Args...)> {
    static constexpr size_t inline_size = 48;

    struct Ops {
        R (*invoke)(void*, Args&&...);
        void (*move_to)(void* from, void* to);  // move-constructs into `to`, destroys `from`
        void (*destroy)(void*);
    };

    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= inline_size &&
        alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template <class F>
    static const Ops* ops_for() {
        if constexpr (fits_inline<F>) {
            static const Ops ops{[](void* p, Args&&... a) -> R {
                                     return (*static_cast<F*>(p))(std::forward<Args>(a)...);
                                 },
                                 [](void* from, void* to) {
                                     new (to) F(std::move(*static_cast<F*>(from)));
                                     static_cast<F*>(from)->~F();
                                 },
                                 [](void* p) { static_cast<F*>(p)->~F(); }};
            return &ops;
        } else {
            static const Ops ops{
                [](void* p, Args&&... a) -> R {
                    return (**static_cast<F**>(p))(std::forward<Args>(a)...);
                },
                [](void* from, void* to) { *static_cast<F**>(to) = *static_cast<F**>(from); },
                [](void* p) { delete *static_cast<F**>(p); }};
            return &ops;
        }
    }

  public:
    UniqueFunction() = default;
    UniqueFunction(std::nullptr_t) {}

    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction>>>
    UniqueFunction(F&& f) {  // NOLINT: implicit like std::function
        using D = std::decay_t<F>;
        if constexpr (fits_inline<D>) {
            new (storage_) D(std::forward<F>(f));
        } else {
            *reinterpret_cast<D**>(storage_) = new D(std::forward<F>(f));
        }
        ops_ = ops_for<D>();
    }

    UniqueFunction(UniqueFunction&& o) noexcept : ops_(o.ops_) {
        if (ops_) ops_->move_to(o.storage_, storage_);
        o.ops_ = nullptr;
    }

    UniqueFunction& operator=(UniqueFunction&& o) noexcept {
        if (this != &o) {
            reset();
            ops_ = o.ops_;
            if (ops_) ops_->move_to(o.storage_, storage_);
            o.ops_ = nullptr;
        }
        return *this;
    }

    UniqueFunction(const UniqueFunction&) = delete;
    UniqueFunction& operator=(const UniqueFunction&) = delete;
    ~UniqueFunction() { reset(); }

    void reset() {
        if (ops_) ops_->destroy(storage_);
        ops_ = nullptr;
    }

    explicit operator bool() const { return ops_ != nullptr; }
    R operator()(Args... a) { return ops_->invoke(storage_, std::forward<Args>(a)...); }

  private:
    alignas(std::max_align_t) unsigned char storage_[inline_size];
    const Ops* ops_ = nullptr;
};

}  // namespace authd::core
