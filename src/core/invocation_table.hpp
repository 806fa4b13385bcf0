#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hubcast::core {

/// Azure documents no limit on a connection's invocations in progress; hubcast has one so that a
/// client cannot hold unbounded state (docs/configuration.md, docs/protocol.md).
inline constexpr std::size_t default_max_invocations_per_connection = 64;

/// The invocations (`invoke` requests) of one connection that still wait for their event
/// handler's answer, by invocation id. An answer is sent only for an entry still present under its
/// ticket: a cancelled invocation, or one whose id was reused after a cancel, gets nothing.
/// Owned by one connection (it survives reliable recoveries with it); not thread-safe.
class invocation_table {
public:
    enum class outcome : std::uint8_t {
        started,
        duplicate, ///< the id is already in progress on this connection
        too_many,  ///< `limit` invocations are already in progress
    };
    struct start_result {
        outcome result = outcome::started;
        std::uint64_t ticket = 0; ///< started: what finish() must present
    };

    start_result start(std::string_view invocation_id, std::size_t limit);
    /// The answer to (`invocation_id`, `ticket`) is here: true, and forgotten, when it is still
    /// waited for; false when it was cancelled meanwhile.
    bool finish(std::string_view invocation_id, std::uint64_t ticket);
    /// cancelInvocation: forgets the id; true when it was in progress.
    bool cancel(std::string_view invocation_id);
    std::size_t size() const noexcept { return pending_.size(); }

private:
    std::unordered_map<std::string, std::uint64_t> pending_; // invocation id → ticket
    std::uint64_t next_ticket_ = 1;
};

} // namespace hubcast::core
