#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "util/string_map.hpp"

namespace hubcast::core {

/// Concurrent connections per key (a user id, a token), at most `limit` each, counted on this node
/// only. Thread-safe: admissions on every worker take leases, and a lease is returned on whichever
/// thread drops its last reference. Off the hot path (one lock per connect and per close).
/// Lock order: a leaf lock; nothing is called while it is held.
class connection_quota {
public:
    /// One counted connection of a key; returned when destroyed. The quota must outlive it.
    class lease {
    public:
        lease(connection_quota& quota, std::string key) noexcept : quota_(quota), key_(std::move(key)) {}
        ~lease() { quota_.release(key_); }
        lease(const lease&) = delete;
        lease& operator=(const lease&) = delete;
        const std::string& key() const noexcept { return key_; }

    private:
        connection_quota& quota_;
        std::string key_;
    };

    struct acquisition {
        bool allowed = true;
        /// Null when allowed without counting (no limit) or refused. Shared so that copies of an
        /// admission hold one slot, not one each.
        std::shared_ptr<lease> held;
    };

    /// `limit` 0: unlimited, nothing is counted.
    explicit connection_quota(std::size_t limit) noexcept : limit_(limit) {}
    connection_quota(const connection_quota&) = delete;
    connection_quota& operator=(const connection_quota&) = delete;

    /// Counts one more connection of `key`, unless it already has `limit`.
    acquisition acquire(std::string_view key);
    /// Connections counted for `key` now.
    std::size_t count(std::string_view key) const;
    /// Keys with at least one connection (an entry exists only while its count is non-zero).
    std::size_t keys() const;
    std::size_t limit() const noexcept { return limit_; }

private:
    void release(const std::string& key) noexcept;

    std::size_t limit_;
    mutable std::mutex mutex_;
    util::string_map<std::size_t> counts_; // guarded by mutex_
};

/// The leases an admitted connection holds for its whole life (a reliable session's, parked or
/// not): returned when the connection ends.
struct connection_leases {
    std::shared_ptr<connection_quota::lease> user;
    std::shared_ptr<connection_quota::lease> token;
    bool empty() const noexcept { return !user && !token; }
};

} // namespace hubcast::core
