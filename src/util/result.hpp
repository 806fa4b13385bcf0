#pragma once

#include <cassert>
#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace hubcast::util {

/// Wraps an error value so that result<T, E> can be built from it unambiguously, even when T
/// and E are the same type.
template <typename E> struct failure { E error; };

template <typename E> failure<std::decay_t<E>> fail(E&& error) {
    return {std::forward<E>(error)};
}

/// A value or an error: how layers report failures to each other (style rule 12). Never throws:
/// building one is noexcept exactly when moving the value (or converting the error) in is, and
/// reading it is noexcept. Reading the side it does not hold is a programming error: an assertion
/// names it in builds with assertions, and every build ends the process there rather than throw
/// std::bad_variant_access across a layer or read the wrong bytes.
template <typename T, typename E> class result {
public:
    result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : state_(std::in_place_index<0>, std::move(value)) {}
    template <typename F>
    result(failure<F> f) noexcept(std::is_nothrow_constructible_v<E, F&&>)
        : state_(std::in_place_index<1>, std::move(f.error)) {}

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & noexcept {
        expect(has_value());
        return *std::get_if<0>(&state_);
    }
    const T& value() const& noexcept {
        expect(has_value());
        return *std::get_if<0>(&state_);
    }
    T&& value() && noexcept {
        expect(has_value());
        return std::move(*std::get_if<0>(&state_));
    }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }

    const E& error() const& noexcept {
        expect(!has_value());
        return *std::get_if<1>(&state_);
    }

private:
    static void expect(bool holds) noexcept {
        assert(holds && "read the side of a util::result that it does not hold");
        if (!holds) [[unlikely]] {
            std::abort();
        }
    }

    std::variant<T, E> state_;
};

} // namespace hubcast::util
