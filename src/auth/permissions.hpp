#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "auth/group_pattern.hpp"

namespace hubcast::auth {

enum class permission_kind : std::uint8_t { join_leave_group, send_to_group };

/// Parses the REST names "joinLeaveGroup" / "sendToGroup" (case-insensitive).
std::optional<permission_kind> parse_permission_kind(std::string_view name) noexcept;

/// What one connection may do with groups (client-protocol spec section 7). Built from role
/// strings, changed at runtime by REST grant/revoke. Role and group comparison is case-sensitive.
/// Not thread-safe: owned by one connection.
class permission_set {
public:
    /// Limits from spec 7.2 (the emulator's values).
    static constexpr std::size_t max_patterns_per_kind = 10;
    static constexpr std::size_t max_literals_per_kind = 1000;

    /// Recognises every role form of spec 7.1:
    ///   webpubsub.joinLeaveGroup / webpubsub.sendToGroup                  → every group
    ///   webpubsub.joinLeaveGroup.<group> / webpubsub.sendToGroup.<group>  → that group (rest verbatim)
    ///   webpubsub.joinLeaveGroups.<pattern> / webpubsub.sendToGroups.<pattern> → wildcard pattern
    /// Unknown roles are ignored; invalid patterns and entries past the limits are skipped and
    /// reported in `rejected` when given.
    static permission_set from_roles(const std::vector<std::string>& roles,
                                     std::vector<std::string>* rejected = nullptr);

    /// May this connection do `kind` on `group`?
    bool allows(permission_kind kind, std::string_view group) const;

    /// REST grant: `target` null → every group (and forgets earlier per-group revokes); otherwise
    /// exactly that group (and forgets an earlier revoke of it). False only when the group would be
    /// a new literal past max_literals_per_kind: nothing changed then.
    [[nodiscard]] bool grant(permission_kind kind, const std::optional<std::string>& target);
    /// REST revoke: `target` null → removes every grant of the kind (all-groups, literals and
    /// patterns); otherwise removes that literal group and, if the kind was granted for every group
    /// or by a pattern matching it, records an exception so that the group is no longer allowed.
    /// Always takes effect: exceptions are not capped (only the authenticated app server adds them).
    void revoke(permission_kind kind, const std::optional<std::string>& target);
    /// REST check: `target` null → granted for every group (all-groups or a pattern matching every
    /// name such as `**`, with no revoked exception); otherwise allows(kind, *target).
    bool check(permission_kind kind, const std::optional<std::string>& target) const;

    /// One kind's grants as plain data: what a reliable session carries to another node.
    struct kind_parts {
        bool all = false;
        std::vector<std::string> literals; ///< sorted
        std::vector<std::string> patterns; ///< as written, in grant order
        std::vector<std::string> revoked;  ///< sorted
        bool operator==(const kind_parts&) const = default;
    };
    struct parts {
        kind_parts join_leave;
        kind_parts send;
        bool operator==(const parts&) const = default;
    };
    parts to_parts() const;
    /// The set `to_parts()` described; nullopt when a pattern does not compile or a part is past
    /// the limits above (parts that did not come from to_parts()).
    static std::optional<permission_set> from_parts(const parts& described);

private:
    // Sets with transparent comparison: lookups by string_view on every join/send, no allocation.
    using group_set = std::set<std::string, std::less<>>;
    struct grants {
        bool all = false;
        group_set literals;
        std::vector<group_pattern> patterns;
        group_set revoked; // exceptions to `all` and to patterns
        bool allows(std::string_view group) const;
        bool covers_by_wildcard(std::string_view group) const;
        bool allows_every_group() const;
    };
    grants& of(permission_kind kind) noexcept {
        return kind == permission_kind::send_to_group ? send_ : join_;
    }
    const grants& of(permission_kind kind) const noexcept {
        return kind == permission_kind::send_to_group ? send_ : join_;
    }

    grants join_;
    grants send_;
};

} // namespace hubcast::auth
