#pragma once

#include <cassert>
#include <utility>
#include <variant>

namespace hubcast::util {

/// Wraps an error value so that result<T, E> can be built from it unambiguously, even when T
/// and E are the same type.
template <typename E> struct failure { E error; };

template <typename E> failure<std::decay_t<E>> fail(E&& error) {
    return {std::forward<E>(error)};
}

/// A value or an error: how layers report failures to each other (style rule 12). Never throws;
/// reading the wrong side is a programming error caught by assertions.
template <typename T, typename E> class result {
public:
    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    template <typename F> result(failure<F> f) : state_(std::in_place_index<1>, std::move(f.error)) {}

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(state_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(state_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(state_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const E& error() const& {
        assert(!has_value());
        return std::get<1>(state_);
    }

private:
    std::variant<T, E> state_;
};

} // namespace hubcast::util
